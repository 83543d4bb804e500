"""Domain events of the payment service (internal; the public facts are in shared.contracts.events).

Two kinds of stream: `payable_order-<order id>` (what this service knows of an order: its total,
whether it was cancelled, and which transactions hold part of its balance) and
`transaction-<transaction id>` (one payment attempt, from request to refunds). Amounts are
integers in the currency's minor units.
"""

from __future__ import annotations

from datetime import datetime

from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.contracts.values import StockLine

PAYMENT_EVENTS = EventRegistry("payment service")


# -- the order, as far as paying for it goes --------------------------------------------------


@PAYMENT_EVENTS.register
class OrderOpened(VersionedEvent):
    """A checkout made this order payable: its total, the stock-managed lines to allocate, and
    the registered customer it belongs to (None for a guest, and in events recorded before
    ownership was kept, which therefore stay reachable by id as guests' orders are)."""

    total: int
    currency: str
    stock_lines: list[StockLine] = []
    customer_id: str | None = None
    at: datetime


@PAYMENT_EVENTS.register
class OrderCancellationNoted(VersionedEvent):
    """The order service cancelled the order: no new payment may start."""

    reason: str = ""
    at: datetime


@PAYMENT_EVENTS.register
class AmountReserved(VersionedEvent):
    """A transaction started for `amount` of the balance owing (pending until it settles)."""

    transaction_id: str
    amount: int
    at: datetime


@PAYMENT_EVENTS.register
class ReservationReleased(VersionedEvent):
    """A transaction failed or was voided: its amount is owing again."""

    transaction_id: str
    at: datetime


@PAYMENT_EVENTS.register
class ReservationSettled(VersionedEvent):
    """A transaction ended up holding a different amount (a partial capture)."""

    transaction_id: str
    amount: int
    at: datetime


# -- one transaction ------------------------------------------------------------------------


@PAYMENT_EVENTS.register
class PaymentRequested(VersionedEvent):
    """A shopper asked to pay: the gateway, the method and the order's amount and currency."""

    order_id: str
    gateway: str
    method: str  # authorize | purchase
    amount: int
    currency: str
    payment: str | None = None  # the gateway's payment method token (Stripe: pm_...)
    name: str = ""
    custom_reference: str = ""
    stock_lines: list[StockLine] = []
    at: datetime


@PAYMENT_EVENTS.register
class StockAllocationConfirmed(VersionedEvent):
    at: datetime


@PAYMENT_EVENTS.register
class StockAllocationRefused(VersionedEvent):
    """Inventory could not allocate the order's stock: the transaction fails before money moves."""

    reason: str
    short: list[StockLine] = []
    at: datetime


@PAYMENT_EVENTS.register
class GatewayCallStarted(VersionedEvent):
    """About to call the gateway: recorded first, so a crash during the call can be reconciled."""

    operation: str  # create | confirm | capture | refund | cancel
    idempotency_key: str
    amount: int | None = None
    at: datetime


@PAYMENT_EVENTS.register
class GatewayCallFinished(VersionedEvent):
    """The call's outcome is recorded (or it is known not to have happened)."""

    operation: str
    outcome: str = "done"  # done | rejected | not_done
    at: datetime


@PAYMENT_EVENTS.register
class GatewayReferenceRecorded(VersionedEvent):
    """The gateway's id for this payment (Stripe: the PaymentIntent)."""

    reference: str
    client_secret: str | None = None
    at: datetime


@PAYMENT_EVENTS.register
class TransactionAuthorized(VersionedEvent):
    amount: int
    at: datetime


@PAYMENT_EVENTS.register
class TransactionCaptured(VersionedEvent):
    """Money moved: a capture of an authorisation, or a purchase."""

    amount: int
    at: datetime


@PAYMENT_EVENTS.register
class TransactionFailed(VersionedEvent):
    code: str
    reason: str
    at: datetime


@PAYMENT_EVENTS.register
class TransactionRefunded(VersionedEvent):
    """`amount` went back this time; `refunded_total` so far. `reference` names the gateway refund."""

    amount: int
    refunded_total: int
    mechanism: str  # automatic (through the gateway) | manual (marked as refunded)
    reference: str | None = None
    at: datetime


@PAYMENT_EVENTS.register
class TransactionCancelled(VersionedEvent):
    """An authorisation (or a pending payment) was voided before any capture."""

    reason: str = ""
    at: datetime


# -- a payment gateway's configuration ------------------------------------------------------


@PAYMENT_EVENTS.register
class GatewaySeeded(VersionedEvent):
    """The gateway's first configuration, from the environment of the first instance that started.

    `login` is the gateway's secret key (Stripe's), empty when it has none. It stays in this
    service's own event store: never published, never answered (`/v2/gateways` is write-only for it).
    """

    enabled: bool
    login: str = ""
    at: datetime


@PAYMENT_EVENTS.register
class GatewayUpdated(VersionedEvent):
    """An admin's `PUT /v2/gateways/{slug}`: the configuration from now on (`login` as above)."""

    enabled: bool
    login: str = ""
    at: datetime
