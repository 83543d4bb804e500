"""Command handlers of the cart service: each runs in one unit of work."""
