"""outbox of the shared kernel."""
