"""The HTTP side of the kernel: Elastic Path errors, bodies, health, and the app factory."""
