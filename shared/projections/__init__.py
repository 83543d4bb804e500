"""projections of the shared kernel."""
