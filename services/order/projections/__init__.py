"""Read models of the order service (lists; single orders are read from their streams)."""
