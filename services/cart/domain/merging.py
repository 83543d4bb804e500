"""Merging a cart into another (`Cart.Merge`): the one event that records what one merge changed.

Elastic Path merges a shopper's anonymous cart into their registered cart at sign-in: lines new to
the target join it, a product already there (same custom inputs) has its quantity raised, and the
original cart is left unchanged (carts-orders.yaml, "Merging Carts"). One event per merge, so a
merge is applied whole or not at all and its history says which cart it came from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.cart.domain.events import CART_EVENTS
from shared.contracts.registry import VersionedEvent
from shared.contracts.values import ProductPrice


class MergedLine(VersionedEvent):
    """A line new to the target cart, priced as the catalogue prices it at the merge."""

    item_id: str
    type: str  # cart_item | custom_item
    product_id: str | None = None
    sku: str = ""
    slug: str = ""
    name: str = ""
    description: str = ""
    quantity: int
    unit_price: ProductPrice
    manage_stock: bool = False
    custom_inputs: dict[str, Any] = {}


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
