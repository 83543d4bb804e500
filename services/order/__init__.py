"""The order service: orders made from checked-out carts, their status machine and read models."""
