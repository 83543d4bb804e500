"""One payment attempt on an order: requested, stock allocated, authorised or purchased, captured,
refunded, voided, or failed. Pure: no I/O; the application calls the gateway around it.

Guards live here (capture only an uncaptured authorisation and at most what was authorised;
refund at most what was captured; void only before capture). What the gateway reports is merged
by `merge`, which is idempotent: the synchronous answer of a call, a webhook and a reconciling
retrieve may all report the same fact, in any order, and the first one records it. Gateway calls
are bracketed by `start_call` / `finish_call`, so a call cut short by a crash is visible as the
transaction's `in_flight` call and can be reconciled instead of repeated blindly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal

from services.payment.domain.errors import (
    AmountExceeded,
    GatewayCallInFlight,
    GatewayReferenceMismatch,
    TransactionStateError,
)
from services.payment.domain.events import (
    PAYMENT_EVENTS,
    GatewayCallFinished,
    GatewayCallStarted,
    GatewayReferenceRecorded,
    PaymentRequested,
    StockAllocationConfirmed,
    StockAllocationRefused,
    TransactionAuthorized,
    TransactionCancelled,
    TransactionCaptured,
    TransactionFailed,
    TransactionRefunded,
)
from services.payment.domain.gateway_state import GatewayState
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.contracts.values import StockLine
from shared.domain.aggregate import Aggregate

Status = Literal["pending", "complete", "failed", "cancelled"]
Allocation = Literal["not_needed", "requested", "allocated", "refused"]
INSUFFICIENT_STOCK = "insufficient_stock"


@dataclass(frozen=True)
class InFlightCall:
    """A gateway call that was started and whose outcome is not recorded yet."""

    operation: str
    idempotency_key: str
    amount: int | None
    since: datetime


@dataclass(frozen=True)
class PaymentDetails:
    """What a payment request carries, as the HTTP layer validated it."""

    order_id: str
    gateway: str
    method: str
    amount: int
    currency: str
    payment: str | None = None
    name: str = ""
    custom_reference: str = ""
    stock_lines: tuple[StockLine, ...] = ()


class Transaction(Aggregate):
    stream_type = "transaction"
    registry: ClassVar[EventRegistry] = PAYMENT_EVENTS

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.order_id = ""
        self.gateway = ""
        self.method = ""
        self.amount = 0
        self.currency = ""
        self.payment: str | None = None
        self.name = ""
        self.custom_reference = ""
        self.stock_lines: list[StockLine] = []
        self.allocation: Allocation = "not_needed"
        self.short: list[StockLine] = []  # what inventory was short of, when it refused
        self.status: Status = "pending"
        self.authorized = 0
        self.captured = 0
        self.has_capture = False  # captured at all: a free order's capture is of 0
        self.refunded_total = 0
        self.refund_mechanism: str | None = None
        self.refund_references: set[str] = set()
        self.calls: dict[str, int] = {}  # gateway calls started, per operation
        self.reference: str | None = None
        self.client_secret: str | None = None
        self.failure_code = ""
        self.failure_reason = ""
        self.in_flight: InFlightCall | None = None
        self.created_at: datetime | None = None
        self.updated_at: datetime | None = None
        self._unfinished_as_saved = False  # `unfinished` before the pending events, once there are some

    # -- the request and its stock --------------------------------------------------------

    def request(self, details: PaymentDetails, at: datetime) -> None:
        assert not self.exists, "a transaction is requested once"
        self._record(
            PaymentRequested(
                order_id=details.order_id,
                gateway=details.gateway,
                method=details.method,
                amount=details.amount,
                currency=details.currency,
                payment=details.payment,
                name=details.name,
                custom_reference=details.custom_reference,
                stock_lines=list(details.stock_lines),
                at=at,
            )
        )

    def allocation_confirmed(self, at: datetime) -> bool:
        if not self.awaiting_allocation:
            return False
        self._record(StockAllocationConfirmed(at=at))
        return True

    def allocation_refused(self, reason: str, short: list[StockLine], at: datetime) -> bool:
        """Nothing was charged: the transaction fails with Elastic Path's insufficient-stock reason."""
        if not self.awaiting_allocation:
            return False
        self._record(StockAllocationRefused(reason=reason, short=short, at=at))
        return True

    @property
    def awaiting_allocation(self) -> bool:
        return self.status == "pending" and self.allocation == "requested"

    @property
    def ready_to_charge(self) -> bool:
        """Stock is held (or none is needed) and the gateway has not settled the payment yet."""
        return self.status == "pending" and self.allocation in ("allocated", "not_needed")

    # -- gateway calls --------------------------------------------------------------------

    def start_call(self, operation: str, idempotency_key: str, amount: int | None, at: datetime) -> None:
        if self.in_flight is not None:
            raise GatewayCallInFlight(self.id)
        self._record(
            GatewayCallStarted(operation=operation, idempotency_key=idempotency_key, amount=amount, at=at)
        )

    def finish_call(self, operation: str, outcome: str, at: datetime) -> bool:
        if self.in_flight is None or self.in_flight.operation != operation:
            return False
        self._record(GatewayCallFinished(operation=operation, outcome=outcome, at=at))
        return True

    def next_key(self, operation: str) -> str:
        """The idempotency key of the next `operation` call, derived from the transaction.

        Creating, confirming and voiding take the same parameters every time, so every attempt
        reuses `<transaction id>:<operation>` (a real gateway then answers a repeat with the
        first result). A capture may be retried with another amount, so attempts after the first
        are numbered (`:capture:2`); refunds are always numbered, each being a separate refund.
        """
        attempt = self.calls.get(operation, 0) + 1
        if operation == "refund" or (operation == "capture" and attempt > 1):
            return f"{self.id}:{operation}:{attempt}"
        return f"{self.id}:{operation}"

    def record_reference(self, reference: str, client_secret: str | None, at: datetime) -> bool:
        if self.reference == reference:
            return False
        if self.reference is not None:
            raise GatewayReferenceMismatch(
                f"Transaction {self.id} is {self.reference}, not {reference}", meta={"id": self.id}
            )
        self._record(GatewayReferenceRecorded(reference=reference, client_secret=client_secret, at=at))
        return True

    # -- what the gateway says (idempotent) -----------------------------------------------

    def merge(self, state: GatewayState, at: datetime) -> bool:
        """Record what `state` adds to this transaction; False when it adds nothing.

        A gateway's refunded total is ignored while our own refund call is in flight: that call's
        answer (or its reconciliation) records the refund with its id, and counting the total
        too would count it twice.
        """
        if state.reference and self.reference not in (None, state.reference):
            raise GatewayReferenceMismatch(
                f"Transaction {self.id} is {self.reference}, not {state.reference}", meta={"id": self.id}
            )
        before = self.current_version
        match state.stage:
            case "authorized":
                if self.status == "pending" and self.method == "authorize":
                    self._record(TransactionAuthorized(amount=state.authorized or self.amount, at=at))
            case "captured":
                self._merge_capture(state, at)
            case "failed":
                self.record_failed(state.failure_code or "gateway_error", state.failure_reason, at)
            case "cancelled":
                if self.cancellable:
                    self._record(TransactionCancelled(reason="cancelled at the gateway", at=at))
            case "pending" | "created":
                pass
        refunding = self.in_flight is not None and self.in_flight.operation == "refund"
        if (
            state.refunded is not None
            and not refunding
            and self.captured
            and state.refunded > self.refunded_total
        ):
            total = min(state.refunded, self.captured)
            if total > self.refunded_total:
                self._record(
                    TransactionRefunded(
                        amount=total - self.refunded_total,
                        refunded_total=total,
                        mechanism="automatic",
                        at=at,
                    )
                )
        return self.current_version != before

    def _merge_capture(self, state: GatewayState, at: datetime) -> None:
        if self.has_capture or self.status not in ("pending", "complete"):
            return
        if self.method == "authorize" and self.status == "pending":
            self._record(TransactionAuthorized(amount=state.authorized or self.amount, at=at))
        asked = self.in_flight.amount if self.in_flight and self.in_flight.operation == "capture" else None
        amount = state.captured or asked or self.authorized or self.amount
        self._record(TransactionCaptured(amount=amount, at=at))

    def record_failed(self, code: str, reason: str, at: datetime) -> bool:
        """Only a payment that has not completed can fail (a late decline changes nothing)."""
        if self.status != "pending":
            return False
        self._record(TransactionFailed(code=code, reason=reason, at=at))
        return True

    # -- admin operations -----------------------------------------------------------------

    def capture_amount(self, requested: int | None) -> int:
        """The amount a capture may take now, or the Elastic Path error that says why not."""
        if self.method != "authorize":
            raise TransactionStateError(
                "Transaction not capturable", "Only authorize transactions can be captured", self.id
            )
        if self.has_capture:
            raise TransactionStateError(
                "Transaction already captured", "This transaction has already been captured", self.id
            )
        if self.status != "complete":
            raise TransactionStateError(
                "Transaction not capturable",
                f"A {self.status} transaction cannot be captured",
                self.id,
            )
        amount = self.authorized if requested is None else requested
        if amount > self.authorized:
            raise AmountExceeded(
                "Capture amount exceeds authorized amount",
                f"Cannot capture {amount}: only {self.authorized} was authorized",
                {"id": self.id, "amount": amount, "authorized": self.authorized},
            )
        return amount

    def refund_amount(self, requested: int | None) -> int:
        """The amount a refund may return now (the rest of the capture when not given)."""
        if not self.captured:
            raise TransactionStateError(
                "Transaction not refundable",
                "A transaction of 0 has nothing to refund"
                if self.has_capture
                else "Only a captured or purchased transaction can be refunded",
                self.id,
            )
        remaining = self.captured - self.refunded_total
        if remaining <= 0:
            raise TransactionStateError(
                "Transaction already refunded", "This transaction has been refunded in full", self.id
            )
        amount = remaining if requested is None else requested
        if amount > remaining:
            raise AmountExceeded(
                "Refund amount exceeds captured amount",
                f"Cannot refund {amount}: only {remaining} of the captured {self.captured} is left",
                {"id": self.id, "amount": amount, "refundable": remaining},
            )
        return amount

    def record_refund(self, amount: int, mechanism: str, reference: str | None, at: datetime) -> bool:
        """A refund, once per gateway refund id (a webhook and the answer may both report it)."""
        if reference is not None and reference in self.refund_references:
            return False
        self._record(
            TransactionRefunded(
                amount=amount,
                refunded_total=self.refunded_total + amount,
                mechanism=mechanism,
                reference=reference,
                at=at,
            )
        )
        return True

    @property
    def cancellable(self) -> bool:
        """Pending, or an authorisation not captured yet."""
        if self.status == "pending":
            return True
        return self.status == "complete" and self.method == "authorize" and not self.has_capture

    def check_cancellable(self) -> None:
        if not self.cancellable:
            detail = (
                "A captured transaction cannot be cancelled; refund it instead"
                if self.has_capture
                else f"A {self.status} transaction cannot be cancelled"
            )
            raise TransactionStateError("Transaction not cancellable", detail, self.id)

    def record_cancelled(self, reason: str, at: datetime) -> bool:
        if not self.cancellable:
            return False
        self._record(TransactionCancelled(reason=reason, at=at))
        return True

    # -- unfinished business ----------------------------------------------------------------

    @property
    def unfinished(self) -> bool:
        """Pending, or a gateway call started and not recorded: what the reconciler may finish."""
        return self.exists and (self.status == "pending" or self.in_flight is not None)

    @property
    def was_unfinished(self) -> bool:
        """`unfinished` as last saved, before the events recorded since (none yet: as it is now)."""
        return self._unfinished_as_saved if self._pending else self.unfinished

    def _record(self, event: VersionedEvent) -> None:
        if not self._pending:
            self._unfinished_as_saved = self.unfinished
        super()._record(event)

    # -- presentation ---------------------------------------------------------------------

    @property
    def transaction_type(self) -> str:
        """Elastic Path mutates one transaction: authorize -> capture -> refund (purchase -> refund)."""
        if self.refunded_total:
            return "refund"
        if self.method == "authorize" and self.has_capture:
            return "capture"
        return self.method

    # -- state ----------------------------------------------------------------------------

    def apply(self, event: VersionedEvent) -> None:
        at: datetime = getattr(event, "at")  # noqa: B009  every payment event carries `at`
        match event:
            case PaymentRequested():
                self.order_id, self.gateway, self.method = event.order_id, event.gateway, event.method
                self.amount, self.currency, self.payment = event.amount, event.currency, event.payment
                self.name, self.custom_reference = event.name, event.custom_reference
                self.stock_lines = list(event.stock_lines)
                self.allocation = "requested" if event.stock_lines else "not_needed"
                self.created_at = at
            case StockAllocationConfirmed():
                self.allocation = "allocated"
            case StockAllocationRefused(reason=reason, short=short):
                self.allocation, self.short = "refused", list(short)
                self.status = "failed"
                self.failure_code, self.failure_reason = INSUFFICIENT_STOCK, reason
            case GatewayCallStarted(operation=operation, idempotency_key=key, amount=amount):
                self.in_flight = InFlightCall(operation, key, amount, at)
                self.calls[operation] = self.calls.get(operation, 0) + 1
            case GatewayCallFinished():
                self.in_flight = None
            case GatewayReferenceRecorded(reference=reference, client_secret=secret):
                self.reference, self.client_secret = reference, secret
            case TransactionAuthorized(amount=amount):
                self.status, self.authorized = "complete", amount
            case TransactionCaptured(amount=amount):
                self.status, self.captured, self.has_capture = "complete", amount, True
            case TransactionFailed(code=code, reason=reason):
                self.status = "failed"
                self.failure_code, self.failure_reason = code, reason
            case TransactionRefunded(refunded_total=total, mechanism=mechanism, reference=reference):
                self.refunded_total, self.refund_mechanism = total, mechanism
                if reference is not None:
                    self.refund_references.add(reference)
            case TransactionCancelled():
                self.status = "cancelled"
        self.updated_at = at
