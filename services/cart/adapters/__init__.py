"""Adapters of the cart service: Postgres tables, Kafka consumers, the HTTP API."""
