"""Handlers of the inventory service."""
