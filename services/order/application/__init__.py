"""Command handlers of the order service: each runs in one unit of work."""
