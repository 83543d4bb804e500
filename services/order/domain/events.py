"""Domain events of the order service (internal; the public facts are in shared.contracts.events).

Payment facts are stored as they were learnt, one event per new fact about a transaction, so the
order's statuses are always derived from the whole set of facts and never from arrival order.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.contracts.values import Address, Customer, OrderLine, Totals

ORDER_EVENTS = EventRegistry("order service")


@ORDER_EVENTS.register
class OrderPlaced(VersionedEvent):
    """A checked-out cart became this order: the snapshot everything else is computed from.

    `CartCheckedOut`'s fields but the order id (the stream's), converted by name both ways
    (`Order.place`, `view.checkout_of`). Declared apart on purpose: this one is stored in the order's
    event store and must not change shape when the public contract grows."""

    cart_id: str
    customer: Customer
    billing_address: Address
    shipping_address: Address
    items: list[OrderLine]
    totals: Totals
    promotion_codes: list[str] = []
    order_number: str | None = None
    external_ref: str | None = None
    checked_out_at: datetime


# -- payment facts learnt from the payment service ---------------------------------------------


@ORDER_EVENTS.register
class TransactionAuthorized(VersionedEvent):
    transaction_id: str
    gateway: str
    amount: int
    at: datetime


@ORDER_EVENTS.register
class TransactionCaptured(VersionedEvent):
    """Money moved: a capture of an authorisation, or a purchase."""

    transaction_id: str
    gateway: str
    amount: int
    at: datetime


@ORDER_EVENTS.register
class TransactionRefunded(VersionedEvent):
    """A refund of the transaction; `refunded_total` is the running total, so the largest one wins."""

    transaction_id: str
    gateway: str
    amount: int
    refunded_total: int
    fully_refunded: bool
    at: datetime


@ORDER_EVENTS.register
class TransactionCancelled(VersionedEvent):
    """An authorisation was voided before capture."""

    transaction_id: str
    gateway: str
    at: datetime


@ORDER_EVENTS.register
class TransactionFailed(VersionedEvent):
    transaction_id: str
    gateway: str
    reason: str = ""
    at: datetime


# -- the order's own milestones ----------------------------------------------------------------


@ORDER_EVENTS.register
class OrderBecameComplete(VersionedEvent):
    """Captures first covered the total: recorded once, so `OrderCompleted` is published once."""

    event_type: ClassVar[str] = "OrderCompleted"  # the stored name: events already written carry it

    at: datetime


@ORDER_EVENTS.register
class OrderWasCancelled(VersionedEvent):
    event_type: ClassVar[str] = "OrderCancelled"  # the stored name: events already written carry it
    reason: str = ""
    at: datetime


@ORDER_EVENTS.register
class OrderFulfilled(VersionedEvent):
    """The fulfilment service shipped the order (shipping `fulfilled`)."""

    at: datetime


@ORDER_EVENTS.register
class FulfilmentRequested(VersionedEvent):
    """An admin flagged the paid order `fulfilled` (or a 3PL's `ShipmentConfirmed` did, with its
    carrier and tracking reference): from now on it cannot be cancelled."""

    carrier: str | None = None
    tracking_reference: str | None = None
    at: datetime


@ORDER_EVENTS.register
class ShipmentTracked(VersionedEvent):
    """A 3PL confirmed the shipment of an order already flagged `fulfilled` (by an admin's `PUT`
    before the confirmation arrived, or by an earlier confirmation): its carrier and tracking, kept
    for the order's read. Nothing is announced: the shipment was requested already."""

    carrier: str
    tracking_reference: str
    at: datetime


@ORDER_EVENTS.register
class OrderDetailsCorrected(VersionedEvent):
    """An admin corrected what Elastic Path lets change after checkout: the details as they now are,
    whole (an empty `order_number` or `external_ref` cleared it, so it is None here)."""

    shipping_address: Address
    order_number: str | None = None
    external_ref: str | None = None
    at: datetime


@ORDER_EVENTS.register
class OrderAnonymised(VersionedEvent):
    """An admin erased the order's personal data (`POST /v2/orders/anonymize`): its key is destroyed,
    so its sealed customer and addresses read as `*` everywhere; the order can no longer be found by
    email, and its details can no longer be corrected."""

    at: datetime
