"""Merging a cart into another (`Cart.Merge`): the one event that records what one merge changed.

Elastic Path merges a shopper's anonymous cart into their registered cart at sign-in: lines new to
the target join it, a product already there (same custom inputs) has its quantity raised, and the
original cart is left unchanged (carts-orders.yaml, "Merging Carts"). One event per merge, so a
merge is applied whole or not at all and its history says which cart it came from.
"""

from __future__ import annotations

from datetime import datetime

from services.cart.domain.events import CART_EVENTS, NewLine
from shared.contracts.registry import VersionedEvent


class MergedLine(NewLine):
    """A line new to the target cart, priced as the catalogue prices it at the merge."""


class MergedQuantity(VersionedEvent):
    """A line of the target cart whose product came in again: its new quantity."""

    item_id: str
    quantity: int


@CART_EVENTS.register
class CartItemsMerged(VersionedEvent):
    """Items of cart `from_cart_id` joined this cart (that cart itself is unchanged)."""

    from_cart_id: str
    added: list[MergedLine] = []
    raised: list[MergedQuantity] = []
    at: datetime
