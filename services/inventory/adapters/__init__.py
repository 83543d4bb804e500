"""Adapters of the inventory service."""
