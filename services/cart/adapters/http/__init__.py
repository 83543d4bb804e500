"""The cart service's HTTP API (Elastic Path /v2 shapes)."""
