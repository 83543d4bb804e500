"""Shipments (pure, no I/O)."""
