"""The checkout platform's public surface for other backend systems (see `checkout_platform.contracts`)."""
