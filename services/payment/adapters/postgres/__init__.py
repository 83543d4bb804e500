"""The payment application's ports on PostgreSQL (wired by `services.payment.bootstrap`)."""
