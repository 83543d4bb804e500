"""Domain events of the inventory service (internal; the public facts are in shared.contracts.events).

Two kinds of stream: `stock-<product id>`, a product's stock, where every change is one
`StockMovement` (so the transaction history is the stream itself), and `allocation-<order id>`,
what inventory holds for one order across its life.
"""

from __future__ import annotations

from datetime import datetime

from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.contracts.values import StockLine

INVENTORY_EVENTS = EventRegistry("inventory service")


# -- a product's stock (stream stock-<product id>) ----------------------------------------------


@INVENTORY_EVENTS.register
class StockMovement(VersionedEvent):
    """One stock transaction, with the levels after it (a reader never has to add things up).

    Actions: Elastic Path's `increment`, `decrement`, `allocate`, `deallocate`, plus `set`
    (create stock with a quantity) and `ship` (a shipped order's allocation leaves: allocated and
    total go down). `order_id` is set for movements made by an order's life, not by an admin.
    """

    transaction_id: str
    action: str
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
class StockAdjustmentRefused(VersionedEvent):
    """The warehouse reported an adjustment that cannot apply (below what orders hold, or no stock
    to adjust): nothing moved. Kept on the product's stream so the refusal stays on record.
    `adjustment_id` is the `event_id` of the `WarehouseStockAdjusted` refused."""

    adjustment_id: str
    kind: str
    quantity: int
    reason: str
    at: datetime


@INVENTORY_EVENTS.register
class StockManagementChanged(VersionedEvent):
    """The catalogue said whether this product's stock is managed (`manage_stock`)."""

    managed: bool
    at: datetime


# -- an order's allocation (stream allocation-<order id>) --------------------------------------


@INVENTORY_EVENTS.register
class OrderStockAllocated(VersionedEvent):
    """Stock was allocated for the order, answering `request_id` (a payment, or the checkout).

    `lines` are the managed lines only (unmanaged products pass without allocation). A checkout
    reservation carries the deadline after which, unpaid, it is released.
    """

    request_id: str
    lines: list[StockLine]
    expires_at: datetime | None = None
    at: datetime


@INVENTORY_EVENTS.register
class OrderAllocationConfirmed(VersionedEvent):
    """A further request answered "allocated" from what the order already holds (or has shipped):
    a reservation met by the payment, or a later payment attempt. Nothing moved.

    `claimed`: the request is a payment that takes the held allocation over. From then on the
    allocation is that payment's, as if it had made it: it no longer expires, and it is released
    if that payment fails (an earlier attempt's failure no longer touches it).
    """

    request_id: str
    claimed: bool = False
    at: datetime


@INVENTORY_EVENTS.register
class OrderStockRefused(VersionedEvent):
    """A request could not be met; nothing was allocated. Kept so a repeat gets the same answer."""

    request_id: str
    reason: str
    short: list[StockLine] = []
    at: datetime


@INVENTORY_EVENTS.register
class OrderStockReleased(VersionedEvent):
    """The allocation went back to available (payment failed, cancelled, reservation expired)."""

    lines: list[StockLine]
    reason: str
    at: datetime


@INVENTORY_EVENTS.register
class OrderVoided(VersionedEvent):
    """The order was cancelled: nothing may be allocated for it any more, even by a late request."""

    reason: str
    at: datetime


@INVENTORY_EVENTS.register
class OrderStockShipped(VersionedEvent):
    """The order shipped: its allocation was decremented (once; `lines` may be empty)."""

    lines: list[StockLine]
    at: datetime


@INVENTORY_EVENTS.register
class OrderPaid(VersionedEvent):
    """A payment was authorised or captured: the allocation stays, a reservation no longer expires."""

    at: datetime


@INVENTORY_EVENTS.register
class OrderPaymentFailed(VersionedEvent):
    """A payment of the order failed. Remembered so that its allocation request, arriving late,
    allocates nothing."""

    transaction_id: str
    at: datetime
