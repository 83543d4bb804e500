"""Adapters of the order service: Kafka consumers (the HTTP API comes later)."""
