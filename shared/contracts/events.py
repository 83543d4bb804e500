"""The catalogue of integration events: the public contract between services and other systems.

Each class is one Kafka topic of the same name (behind an optional prefix), carried in the
`Envelope`. Messages of an order's life are keyed by the order id; product and stock facts by the
product id. Contracts evolve additively; an incompatible change raises `schema_version` and adds
an upcaster in `upcasters.py`.
"""

from __future__ import annotations

from datetime import datetime

from shared.contracts.integration_event import CONTRACTS, IntegrationEvent
from shared.contracts.values import Address, Customer, Money, OrderLine, ProductPrice, StockLine, Totals

# -- catalogue -------------------------------------------------------------------------------


@CONTRACTS.register
class ProductPublished(IntegrationEvent):
    """A product was created or changed in a catalogue. Key: product id."""

    aggregate_type = "product"

    product_id: str
    sku: str
    name: str
    slug: str = ""
    description: str = ""
    status: str = "live"
    commodity_type: str = "physical"
    price: list[ProductPrice] = []
    manage_stock: bool = False


# -- inventory -------------------------------------------------------------------------------


@CONTRACTS.register
class StockLevelChanged(IntegrationEvent):
    """A product's stock moved; other services keep a projection of availability. Key: product id."""

    aggregate_type = "stock"

    product_id: str
    total: int
    allocated: int
    available: int
    managed: bool = True
    version: int = 0  # the stock stream's version: consumers ignore older levels


@CONTRACTS.register
class StockAllocationRequested(IntegrationEvent):
    """Payment asks inventory to allocate an order's stock before money moves. Key: order id.

    `request_id` is the id of the payment transaction being attempted: the `transaction_id` of the
    `PaymentAuthorized`/`PaymentCaptured`/`PaymentFailed` that follows. Inventory releases an
    allocation when the payment holding it fails, and refuses a request whose payment already failed.
    A checkout reservation (INVENTORY_POLICY=reserve_on_checkout) answers with request_id "checkout".
    """

    aggregate_type = "order"

    order_id: str
    request_id: str
    lines: list[StockLine]


@CONTRACTS.register
class StockAllocated(IntegrationEvent):
    """Inventory allocated the order's stock (the reply to a request, or at checkout). Key: order id."""

    aggregate_type = "order"

    order_id: str
    request_id: str
    lines: list[StockLine]


@CONTRACTS.register
class StockAllocationFailed(IntegrationEvent):
    """Not enough stock for the order: nothing was allocated. Key: order id."""

    aggregate_type = "order"

    order_id: str
    request_id: str
    reason: str
    short: list[StockLine] = []


@CONTRACTS.register
class StockReleased(IntegrationEvent):
    """An order's allocation went back to available (payment failed, order cancelled). Key: order id."""

    aggregate_type = "order"

    order_id: str
    lines: list[StockLine]
    reason: str


@CONTRACTS.register
class StockDecremented(IntegrationEvent):
    """A shipped order's stock left the warehouse: allocated and total went down. Key: order id."""

    aggregate_type = "order"

    order_id: str
    lines: list[StockLine]


# -- customers -------------------------------------------------------------------------------


@CONTRACTS.register
class CustomerDeleted(IntegrationEvent):
    """A registered customer was deleted: every service that accepts customer tokens refuses
    theirs from now on (`shared.auth.revocations`). Key: customer id."""

    aggregate_type = "customer"

    customer_id: str


# -- cart and order --------------------------------------------------------------------------


@CONTRACTS.register
class CartCheckedOut(IntegrationEvent):
    """A cart became an order: the full snapshot the order is made from. Key: order id."""

    aggregate_type = "cart"

    cart_id: str
    order_id: str
    customer: Customer
    billing_address: Address
    shipping_address: Address
    items: list[OrderLine]
    totals: Totals
    promotion_codes: list[str] = []
    order_number: str | None = None
    external_ref: str | None = None
    checked_out_at: datetime


@CONTRACTS.register
class OrderCreated(IntegrationEvent):
    """An incomplete, unpaid, unfulfilled order exists. Key: order id."""

    aggregate_type = "order"

    order_id: str
    cart_id: str
    customer: Customer
    items: list[OrderLine]
    totals: Totals
    created_at: datetime


@CONTRACTS.register
class OrderCompleted(IntegrationEvent):
    """The order is paid in full. Key: order id."""

    aggregate_type = "order"

    order_id: str


@CONTRACTS.register
class OrderCancelled(IntegrationEvent):
    """An admin cancelled an unfulfilled order (no refund by itself). Key: order id."""

    aggregate_type = "order"

    order_id: str
    reason: str = ""


@CONTRACTS.register
class OrderFulfilmentRequested(IntegrationEvent):
    """An admin flagged a paid order `fulfilled`; the order service accepted it (so it can no longer
    be cancelled) and asks fulfilment to record the shipment. `carrier` and `tracking_reference` are
    set when a 3PL's `ShipmentConfirmed` asked for it. Key: order id."""

    aggregate_type = "order"

    order_id: str
    shipping_address: Address
    lines: list[StockLine] = []
    carrier: str | None = None
    tracking_reference: str | None = None


@CONTRACTS.register
class OrderUpdated(IntegrationEvent):
    """An admin corrected the order's details after checkout (`PUT /v2/orders/:id`): its shipping
    address, `order_number` and `external_ref` as they now are, whole, so a consumer replaces what it
    holds. The order refuses an address change once fulfilment is requested, so the address in
    `OrderFulfilmentRequested` is never older than this. Order by the envelope's
    `aggregate_version` (the order's version): a lower one than already seen is stale. Key: order id."""

    aggregate_type = "order"

    order_id: str
    shipping_address: Address
    order_number: str | None = None
    external_ref: str | None = None
    updated_at: datetime


@CONTRACTS.register
class OrderShipped(IntegrationEvent):
    """Fulfilment recorded the order's shipment (shipping `fulfilled`); stock leaves. `carrier` and
    `tracking_reference` are the 3PL's, when its `ShipmentConfirmed` shipped it. Key: order id."""

    aggregate_type = "shipment"

    order_id: str
    carrier: str | None = None
    tracking_reference: str | None = None


# -- payment ---------------------------------------------------------------------------------


class _TransactionEvent(IntegrationEvent):
    aggregate_type = "transaction"

    order_id: str
    transaction_id: str
    gateway: str
    amount: Money


@CONTRACTS.register
class PaymentAuthorized(_TransactionEvent):
    """Money is reserved on the shopper's card (order becomes processing). Key: order id."""


@CONTRACTS.register
class PaymentCaptured(_TransactionEvent):
    """Money moved (a capture, or a purchase); the order can complete. Key: order id."""


@CONTRACTS.register
class PaymentFailed(_TransactionEvent):
    """The gateway refused the payment; any allocation made for it is released. Key: order id."""

    reason: str


@CONTRACTS.register
class PaymentRefunded(_TransactionEvent):
    """Part or all of a captured payment went back (`amount` this time, `refunded_total` so far)."""

    refunded_total: int
    fully_refunded: bool


@CONTRACTS.register
class PaymentCancelled(_TransactionEvent):
    """An authorisation was voided before capture. Key: order id."""


__all__ = [
    "CartCheckedOut",
    "OrderCancelled",
    "OrderCompleted",
    "OrderCreated",
    "OrderFulfilmentRequested",
    "OrderShipped",
    "OrderUpdated",
    "PaymentAuthorized",
    "PaymentCancelled",
    "PaymentCaptured",
    "PaymentFailed",
    "PaymentRefunded",
    "ProductPublished",
    "StockAllocated",
    "StockAllocationFailed",
    "StockAllocationRequested",
    "StockDecremented",
    "StockLevelChanged",
    "StockReleased",
]
