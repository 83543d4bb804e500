"""Adapters of the fulfilment service."""
