"""messaging of the shared kernel."""
