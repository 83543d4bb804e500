"""The inventory's ports on PostgreSQL: its projections' tables."""
