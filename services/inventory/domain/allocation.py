"""An order's allocation: what inventory holds for one order, and every answer it gave.

    none --allocate--> allocated --release--> released --allocate--> allocated ...
                           \\--ship--> shipped
    any state but shipped --cancel--> voided: never allocates again

It is its own aggregate (stream `allocation-<order id>`) so the per-order rules are checked in
one place whatever order the facts arrive in: a repeated request gets the answer it got before;
a request while stock is held is answered from it without allocating twice (a payment's request
takes the allocation over: `allocated_by`); a cancellation, or a failed payment, that arrives
before its allocation request is remembered so the late request allocates nothing; the decrement
at shipping happens once. Handlers of one order serialise on this stream's version.

It records facts only; moving stock is `order_stock`'s job, which sees this record and the
products' stock together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal

from services.inventory.domain.events import (
    INVENTORY_EVENTS,
    OrderAllocationConfirmed,
    OrderPaid,
    OrderPaymentFailed,
    OrderStockAllocated,
    OrderStockRefused,
    OrderStockReleased,
    OrderStockShipped,
    OrderVoided,
)
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.contracts.values import StockLine
from shared.domain.aggregate import Aggregate

State = Literal["none", "allocated", "released", "shipped", "voided"]


@dataclass(frozen=True)
class Answer:
    """Inventory's reply to one allocation request: allocated (these lines) or refused (why)."""

    request_id: str
    allocated: bool
    lines: tuple[StockLine, ...] = ()
    reason: str = ""
    short: tuple[StockLine, ...] = ()


@dataclass(frozen=True)
class Release:
    """What a release gave back, and why (for `StockReleased`)."""

    lines: tuple[StockLine, ...]
    reason: str


class OrderAllocation(Aggregate):
    stream_type = "allocation"
    registry: ClassVar[EventRegistry] = INVENTORY_EVENTS

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.state: State = "none"
        self.lines: tuple[StockLine, ...] = ()  # held now, or shipped
        self.allocated_by: str | None = None  # the request whose allocation is held
        self.expires_at: datetime | None = None  # a checkout reservation's deadline
        self.paid = False
        self.answers: dict[str, Answer] = {}
        self.failed_payments: set[str] = set()

    @property
    def holds_stock(self) -> bool:
        return self.state == "allocated"

    def answer_to(self, request_id: str) -> Answer | None:
        return self.answers.get(request_id)

    def reservation_expired(self, now: datetime) -> bool:
        """An unpaid checkout reservation past its deadline."""
        return self.holds_stock and not self.paid and self.expires_at is not None and now >= self.expires_at

    # -- facts ------------------------------------------------------------------------------

    def allocated(
        self, request_id: str, lines: list[StockLine], at: datetime, expires_at: datetime | None = None
    ) -> Answer:
        self._record(OrderStockAllocated(request_id=request_id, lines=lines, expires_at=expires_at, at=at))
        return self.answers[request_id]

    def confirmed(self, request_id: str, at: datetime, *, claimed: bool = False) -> Answer:
        self._record(OrderAllocationConfirmed(request_id=request_id, claimed=claimed, at=at))
        return self.answers[request_id]

    def refused(self, request_id: str, reason: str, short: list[StockLine], at: datetime) -> Answer:
        self._record(OrderStockRefused(request_id=request_id, reason=reason, short=short, at=at))
        return self.answers[request_id]

    def released(self, reason: str, at: datetime) -> Release:
        release = Release(self.lines, reason)
        self._record(OrderStockReleased(lines=list(release.lines), reason=reason, at=at))
        return release

    def voided(self, reason: str, at: datetime) -> None:
        if self.state != "voided":
            self._record(OrderVoided(reason=reason, at=at))

    def shipped(self, at: datetime) -> tuple[StockLine, ...]:
        lines = self.lines if self.holds_stock else ()
        self._record(OrderStockShipped(lines=list(lines), at=at))
        return lines

    def mark_paid(self, at: datetime) -> bool:
        if self.paid:
            return False
        self._record(OrderPaid(at=at))
        return True

    def payment_failed(self, transaction_id: str, at: datetime) -> bool:
        if transaction_id in self.failed_payments:
            return False
        self._record(OrderPaymentFailed(transaction_id=transaction_id, at=at))
        return True

    def apply(self, event: VersionedEvent) -> None:
        match event:
            case OrderStockAllocated(request_id=request_id, lines=lines, expires_at=expires_at):
                self.state, self.lines = "allocated", tuple(lines)
                self.allocated_by, self.expires_at = request_id, expires_at
                self.answers[request_id] = Answer(request_id, True, tuple(lines))
            case OrderAllocationConfirmed(request_id=request_id, claimed=claimed):
                self.answers[request_id] = Answer(request_id, True, self.lines)
                if claimed:
                    self.allocated_by, self.expires_at = request_id, None
            case OrderStockRefused(request_id=request_id, reason=reason, short=short):
                self.answers[request_id] = Answer(request_id, False, reason=reason, short=tuple(short))
            case OrderStockReleased():
                self.state, self.lines = "released", ()
                self.allocated_by = self.expires_at = None
            case OrderVoided():
                self.state, self.lines = "voided", ()
                self.allocated_by = self.expires_at = None
            case OrderStockShipped(lines=lines):
                self.state, self.lines = "shipped", tuple(lines)
                self.expires_at = None
            case OrderPaid():
                self.paid = True
            case OrderPaymentFailed(transaction_id=transaction_id):
                self.failed_payments.add(transaction_id)
