"""Domain events of the inventory service."""

from __future__ import annotations

from datetime import datetime

from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.contracts.values import StockLine

INVENTORY_EVENTS = EventRegistry("inventory service")


# -- a product's stock (stream stock-<product id>) ----------------------------------------------


@INVENTORY_EVENTS.register
class StockMovement(VersionedEvent):
    """One stock transaction: Elastic Path's actions, plus `set` for creating stock.

    `order_id` is set when the movement is part of an order's life (allocation at payment,
    release, decrement at shipping); admin transactions have none.
    """

    transaction_id: str
    action: str  # set | increment | decrement | allocate | deallocate
    quantity: int
    total_after: int
    allocated_after: int
    order_id: str | None = None
    at: datetime


@INVENTORY_EVENTS.register
class StockUntracked(VersionedEvent):
    """An admin stopped managing this product's stock (`DELETE /v2/inventories/:id`)."""

    at: datetime


@INVENTORY_EVENTS.register
class StockManagementChanged(VersionedEvent):
    """The catalogue says whether this product's stock is managed."""

    managed: bool
    at: datetime


# -- an order's allocation (stream allocation-<order id>) --------------------------------------


@INVENTORY_EVENTS.register
class OrderStockAllocated(VersionedEvent):
    request_id: str
    lines: list[StockLine]
    at: datetime


@INVENTORY_EVENTS.register
class OrderStockRefused(VersionedEvent):
    request_id: str
    reason: str
    short: list[StockLine] = []
    at: datetime


@INVENTORY_EVENTS.register
class OrderStockReleased(VersionedEvent):
    """The allocation went back to available (payment failed, reservation expired, cancelled)."""

    lines: list[StockLine]
    reason: str
    at: datetime


@INVENTORY_EVENTS.register
class OrderVoided(VersionedEvent):
    """The order was cancelled: nothing may be allocated for it any more, even a late request."""

    reason: str
    at: datetime


@INVENTORY_EVENTS.register
class OrderStockShipped(VersionedEvent):
    lines: list[StockLine]
    at: datetime


@INVENTORY_EVENTS.register
class OrderPaid(VersionedEvent):
    """A payment was authorised or captured: a reservation no longer expires."""

    at: datetime
