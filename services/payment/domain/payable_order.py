"""The order as the payment service sees it: what it costs, and which transactions hold its balance.

Opened by the checkout (`CartCheckedOut`), closed to new payments by a cancellation. Every payment
attempt reserves its amount here first, so two concurrent attempts on one order cannot both take
the balance (the second one's append conflicts, is retried, and finds nothing owing). Amount and
currency always come from the order, never from the client: a client may only ask to pay less
than the balance owing (Elastic Path's split payments).

An order whose total is 0 (a free product, a 100 % promotion) is paid like any other, by one
payment of 0, and only through the manual gateway: Elastic Path says "Configure your store to use
Manual Gateway to process payments if the order total is zero" (no card gateway takes 0). That
payment moves no money but completes the order (the order service counts a completed transaction
of 0 as covering a total of 0) and allocates its stock like any payment.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from services.payment.domain.errors import (
    CancelledOrderCannotBePaid,
    OrderAlreadyPaid,
    OrderNotFound,
    PaymentAmountInvalid,
    ZeroValueOrderNeedsManualGateway,
)
from services.payment.domain.events import (
    PAYMENT_EVENTS,
    AmountReserved,
    OrderCancellationNoted,
    OrderOpened,
    ReservationReleased,
    ReservationSettled,
)
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.contracts.values import StockLine
from shared.domain.aggregate import Aggregate

MANUAL_GATEWAY = "manual"


class PayableOrder(Aggregate):
    stream_type = "payable_order"
    registry: ClassVar[EventRegistry] = PAYMENT_EVENTS

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.opened = False
        self.total = 0
        self.currency = ""
        self.customer_id: str | None = None  # the registered customer's; None for a guest
        self.stock_lines: list[StockLine] = []
        self.cancelled = False
        self.reservations: dict[str, int] = {}  # transaction id -> amount it holds
        self.transaction_ids: list[str] = []  # every attempt, in order, failed ones included

    # -- commands -------------------------------------------------------------------------

    def open(
        self,
        total: int,
        currency: str,
        stock_lines: list[StockLine],
        at: datetime,
        *,
        customer_id: str | None = None,
    ) -> bool:
        """From the checkout snapshot; a repeated checkout changes nothing."""
        if self.opened:
            return False
        self._record(
            OrderOpened(
                total=total, currency=currency, stock_lines=stock_lines, customer_id=customer_id, at=at
            )
        )
        return True

    def note_cancelled(self, reason: str, at: datetime) -> bool:
        """May arrive before the checkout (another topic): remembered either way."""
        if self.cancelled:
            return False
        self._record(OrderCancellationNoted(reason=reason, at=at))
        return True

    def reserve(self, transaction_id: str, requested: int | None, at: datetime, *, gateway: str) -> int:
        """Hold the balance owing (or `requested` of it) for a new transaction through `gateway`;
        returns the amount (0, once, for a free order)."""
        if not self.opened:
            raise OrderNotFound(self.id)
        if self.cancelled:
            raise CancelledOrderCannotBePaid(self.id)
        if self.total == 0 and gateway != MANUAL_GATEWAY:
            raise ZeroValueOrderNeedsManualGateway(self.id, gateway)
        owing = self.balance_owing
        free_order = self.total == 0 and not self.reservations and requested in (None, 0)
        if owing <= 0 and not free_order:
            raise OrderAlreadyPaid(self.id)
        amount = owing if requested is None else requested
        if not free_order and not 1 <= amount <= owing:
            raise PaymentAmountInvalid(amount, owing)
        self._record(AmountReserved(transaction_id=transaction_id, amount=amount, at=at))
        return amount

    def release(self, transaction_id: str, at: datetime) -> bool:
        if transaction_id not in self.reservations:
            return False
        self._record(ReservationReleased(transaction_id=transaction_id, at=at))
        return True

    def settle(self, transaction_id: str, amount: int, at: datetime) -> bool:
        """The transaction holds `amount` from now on (less than reserved after a partial capture)."""
        if self.reservations.get(transaction_id, amount) == amount:
            return False
        self._record(ReservationSettled(transaction_id=transaction_id, amount=amount, at=at))
        return True

    # -- queries --------------------------------------------------------------------------

    @property
    def balance_owing(self) -> int:
        return self.total - sum(self.reservations.values())

    # -- state ----------------------------------------------------------------------------

    def apply(self, event: VersionedEvent) -> None:
        match event:
            case OrderOpened(total=total, currency=currency, stock_lines=lines, customer_id=customer_id):
                self.opened = True
                self.total, self.currency, self.stock_lines = total, currency, list(lines)
                self.customer_id = customer_id
            case OrderCancellationNoted():
                self.cancelled = True
            case AmountReserved(transaction_id=txn, amount=amount):
                self.reservations[txn] = amount
                self.transaction_ids.append(txn)
            case ReservationReleased(transaction_id=txn):
                self.reservations.pop(txn, None)
            case ReservationSettled(transaction_id=txn, amount=amount):
                self.reservations[txn] = amount
