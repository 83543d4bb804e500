"""What Elastic Path's order documents are built from: the checkout snapshot and the statuses since.

Both a single read (folded from the event store) and the order list (from the read model's
columns and the stored `OrderPlaced` facts) make one of these, so every answer builds its documents
with the same code (`adapters/http/documents.py`) and no stored document can lag a change to how
documents look.
"""

from __future__ import annotations

from typing import NamedTuple

from services.order.domain.events import OrderPlaced
from shared.contracts.events import CartCheckedOut
from shared.domain.order_state import OrderState


class OrderView(NamedTuple):
    snapshot: CartCheckedOut
    state: OrderState
    anonymized: bool = False  # its personal data can no longer be read (shared/privacy)


def checkout_of(order_id: str, placed: OrderPlaced) -> CartCheckedOut:
    """The checkout an order was placed from, as the shared document builder reads it."""
    return CartCheckedOut(order_id=order_id, **dict(placed))
