"""Handlers of the fulfilment service."""
