"""A warehouse's stock report applied to a product's stock, with the admin's rules.

`received` is an `increment`, `damaged` a `decrement` (never below what orders hold) and `counted`
sets the total (never below what orders hold), exactly the movements of `/v2/inventories`. What
those rules refuse is recorded as `StockAdjustmentRefused` instead of raising, so the refusal is
kept and the message is still applied (once), never retried into a dead letter.
"""

from __future__ import annotations

from datetime import datetime

from services.inventory.domain.errors import InsufficientStock, InvalidQuantity, StockNotFound
from services.inventory.domain.events import StockAdjustmentRefused
from services.inventory.domain.stock import Stock, Transaction

REFUSALS = (InsufficientStock, InvalidQuantity, StockNotFound)


def adjust(
    stock: Stock, kind: str, quantity: int, adjustment_id: str, at: datetime
) -> Transaction | StockAdjustmentRefused:
    """The movement made, or the refusal recorded (nothing moved then)."""
    try:
        if kind == "received":
            return stock.transact("increment", quantity, at)
        if kind == "damaged":
            return stock.transact("decrement", quantity, at)
        if kind == "counted":
            return stock.set_quantity(quantity, at)
        raise InvalidQuantity(f"unknown adjustment kind {kind!r}")
    except REFUSALS as exc:
        refusal = StockAdjustmentRefused(
            adjustment_id=adjustment_id, kind=kind, quantity=quantity, reason=_reason(exc), at=at
        )
        stock.record_refusal(refusal)
        return refusal


def _reason(error: Exception) -> str:
    if isinstance(error, StockNotFound):
        return "no stock is managed for this product"
    return str(getattr(error, "detail", error))
