"""The order service's HTTP API (Elastic Path /v2/orders)."""
