"""Read models of the inventory service."""
