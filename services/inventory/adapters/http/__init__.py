"""The inventory service's HTTP API (Elastic Path /v2/inventories)."""
