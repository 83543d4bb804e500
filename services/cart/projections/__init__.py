"""Read models of the cart service (lists; single resources are read from their streams)."""
