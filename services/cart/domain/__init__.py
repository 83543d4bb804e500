"""The cart service's domain: carts, products, promotions and customers. Pure, no I/O."""
