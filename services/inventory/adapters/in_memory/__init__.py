"""The inventory's ports in memory, for the fast tier."""
