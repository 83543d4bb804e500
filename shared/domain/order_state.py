"""The statuses an order shows after checkout, as Elastic Path's order document has them (status,
payment, shipping) with the money received. A value of the order's domain, shared because the cart
answers a checkout with the order's document as the order service will serve it (`shared/ep`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class OrderState:
    """What changes after checkout: statuses and money received."""

    status: str = "incomplete"
    payment: str = "unpaid"
    shipping: str = "unfulfilled"
    authorized: int = 0
    paid: int = 0
    updated_at: datetime | None = None
    carrier: str | None = None
    tracking_reference: str | None = None
    """A 3PL's confirmation of the shipment: shown as `meta.shipping` (EP's order `meta` is open)."""
