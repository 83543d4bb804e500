"""Elastic Path documents that more than one service answers with (the order object)."""
