"""The fulfilment service: shipments, and the `OrderShipped` fact that makes stock leave."""
