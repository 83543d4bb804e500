"""Stock per product and allocations per order (pure, no I/O)."""
