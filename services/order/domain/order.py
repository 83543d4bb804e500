"""The order aggregate: the checkout snapshot plus every fact learnt about its payments and shipping.

Facts from other services (payments, shipping) are recorded only when they add something, with
set semantics per transaction id, so duplicates and any arrival order converge on one state;
statuses are derived from the facts (`status.py`). Rules: facts need a placed order; a fulfilled
order cannot be cancelled; an order completes (and says so once) when captures cover its total; an
admin may correct the shipping address, `order_number` and `external_ref` after checkout, the
address only until fulfilment is requested (corrections fold into `placed`, the snapshot every
document is built from).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from services.order.domain.corrections import DetailsCorrection
from services.order.domain.errors import (
    FulfilledOrderCannotBeCancelled,
    OrderCannotBeAnonymised,
    OrderCannotBeFulfilled,
    OrderNotFound,
    PaymentNotApplicable,
    ShippingAddressIsFinal,
)
from services.order.domain.events import (
    ORDER_EVENTS,
    FulfilmentRequested,
    OrderAnonymised,
    OrderBecameComplete,
    OrderDetailsCorrected,
    OrderFulfilled,
    OrderPlaced,
    OrderWasCancelled,
    ShipmentTracked,
    TransactionAuthorized,
    TransactionCancelled,
    TransactionCaptured,
    TransactionFailed,
    TransactionRefunded,
)
from services.order.domain.status import Statuses, derive_statuses
from services.order.domain.transactions import TransactionFacts
from services.order.domain.view import checkout_of
from shared.contracts.events import CartCheckedOut
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.contracts.values import Money
from shared.domain.aggregate import Aggregate
from shared.domain.order_state import OrderState


class Order(Aggregate):
    stream_type = "order"
    registry: ClassVar[EventRegistry] = ORDER_EVENTS

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.placed: OrderPlaced | None = None
        self.transactions: dict[str, TransactionFacts] = {}
        self.cancelled = False
        self.cancel_reason = ""
        self.fulfilled = False
        self.fulfilment_requested = False
        self.completed = False
        self.carrier: str | None = None
        self.tracking_reference: str | None = None
        self.corrected = False  # `placed` holds corrections, no longer the stored `OrderPlaced` as is
        self.anonymised = False
        self.updated_at: datetime | None = None

    # -- commands: the order's own --------------------------------------------------------

    def place(self, checkout: CartCheckedOut) -> bool:
        """Create the order from its checkout; True if new (a repeated checkout changes nothing)."""
        if checkout.order_id != self.id:
            raise ValueError(f"checkout of order {checkout.order_id} given to order {self.id}")
        if self.placed is not None:
            return False
        self._record(OrderPlaced.model_validate(checkout, from_attributes=True))  # all but the order id
        return True

    def cancel(self, reason: str, at: datetime) -> bool:
        """An admin cancels an unfulfilled order; True if it was not cancelled already."""
        self._require_placed()
        if self.fulfilled or self.fulfilment_requested:
            raise FulfilledOrderCannotBeCancelled(self.id)
        if self.cancelled:
            return False
        self._record(OrderWasCancelled(reason=reason, at=at))
        return True

    def correct_details(self, correction: DetailsCorrection, at: datetime) -> bool:
        """An admin corrects the order's details; True if anything changed (the same correction
        again changes nothing). A new shipping address is refused once fulfilment is requested."""
        placed = self._require_placed()
        address = correction.address_from(placed.shipping_address)
        order_number = correction.reference_from(correction.order_number, placed.order_number)
        external_ref = correction.reference_from(correction.external_ref, placed.external_ref)
        if address != placed.shipping_address and (self.fulfilled or self.fulfilment_requested):
            raise ShippingAddressIsFinal(self.id)
        if (address, order_number, external_ref) == (
            placed.shipping_address,
            placed.order_number,
            placed.external_ref,
        ):
            return False
        self._record(
            OrderDetailsCorrected(
                shipping_address=address, order_number=order_number, external_ref=external_ref, at=at
            )
        )
        return True

    # -- commands: facts learnt from other services ---------------------------------------

    def record_authorization(self, transaction_id: str, gateway: str, amount: Money, at: datetime) -> bool:
        self._check_money(amount)
        merged = self._facts(transaction_id).with_authorization(amount.amount)
        event = TransactionAuthorized(
            transaction_id=transaction_id, gateway=gateway, amount=amount.amount, at=at
        )
        return self._learn(transaction_id, merged, event, at)

    def record_capture(self, transaction_id: str, gateway: str, amount: Money, at: datetime) -> bool:
        self._check_money(amount)
        merged = self._facts(transaction_id).with_capture(amount.amount)
        event = TransactionCaptured(
            transaction_id=transaction_id, gateway=gateway, amount=amount.amount, at=at
        )
        return self._learn(transaction_id, merged, event, at)

    def record_refund(
        self,
        transaction_id: str,
        gateway: str,
        amount: Money,
        *,
        refunded_total: int,
        fully_refunded: bool,
        at: datetime,
    ) -> bool:
        self._check_money(amount)
        if refunded_total < 0:
            raise PaymentNotApplicable(f"A refunded total of {refunded_total} is negative")
        merged = self._facts(transaction_id).with_refund(refunded_total, fully_refunded)
        event = TransactionRefunded(
            transaction_id=transaction_id,
            gateway=gateway,
            amount=amount.amount,
            refunded_total=refunded_total,
            fully_refunded=fully_refunded,
            at=at,
        )
        return self._learn(transaction_id, merged, event, at)

    def record_transaction_cancelled(self, transaction_id: str, gateway: str, at: datetime) -> bool:
        self._require_placed()
        merged = self._facts(transaction_id).with_cancellation()
        event = TransactionCancelled(transaction_id=transaction_id, gateway=gateway, at=at)
        return self._learn(transaction_id, merged, event, at)

    def record_transaction_failed(self, transaction_id: str, gateway: str, reason: str, at: datetime) -> bool:
        self._require_placed()
        merged = self._facts(transaction_id).with_failure()
        event = TransactionFailed(transaction_id=transaction_id, gateway=gateway, reason=reason, at=at)
        return self._learn(transaction_id, merged, event, at)

    def request_fulfilment(
        self, at: datetime, carrier: str | None = None, tracking_reference: str | None = None
    ) -> bool:
        """An admin (or a 3PL's confirmation, with its tracking) flags the order `fulfilled`; True if
        new. Only a paid, uncancelled order."""
        self._require_placed()
        if self.fulfilled or self.fulfilment_requested:
            return False
        if self.cancelled:
            raise OrderCannotBeFulfilled(self.id, "A cancelled order cannot be fulfilled")
        if self.statuses().payment != "paid":
            raise OrderCannotBeFulfilled(self.id, "Only a paid order can be fulfilled")
        self._record(FulfilmentRequested(carrier=carrier, tracking_reference=tracking_reference, at=at))
        return True

    def confirm_shipment(self, at: datetime, carrier: str, tracking_reference: str) -> bool:
        """A 3PL's confirmation; True if it changed anything. It flags the order `fulfilled` as
        `request_fulfilment` does (same rules); an order flagged already keeps the confirmation's
        carrier and tracking, if new, instead of dropping them."""
        self._require_placed()
        if not (self.fulfilled or self.fulfilment_requested):
            return self.request_fulfilment(at, carrier, tracking_reference)
        if (carrier, tracking_reference) == (self.carrier, self.tracking_reference):
            return False
        self._record(ShipmentTracked(carrier=carrier, tracking_reference=tracking_reference, at=at))
        return True

    def anonymise(self, at: datetime) -> bool:
        """Erase the order's personal data (Elastic Path: only once fulfilled, cancelled or fully
        refunded); True if it was not anonymised already. Its key is destroyed by the caller."""
        self._require_placed()
        if self.anonymised:
            return False
        s = self.statuses()
        if not (s.shipping == "fulfilled" or s.status == "cancelled" or s.payment == "refunded"):
            raise OrderCannotBeAnonymised(self.id, s.status, s.payment, s.shipping)
        self._record(OrderAnonymised(at=at))
        return True

    def record_shipment(self, at: datetime) -> bool:
        """The fulfilment service shipped it: a fact, recorded even if cancelled meanwhile (a race
        between two services that only a person can settle)."""
        self._require_placed()
        if self.fulfilled:
            return False
        self._record(OrderFulfilled(at=at))
        return True

    # -- queries ----------------------------------------------------------------------------

    def statuses(self) -> Statuses:
        placed = self._require_placed()
        return derive_statuses(
            placed.totals.with_tax,
            self.transactions.values(),
            cancelled=self.cancelled,
            fulfilled=self.fulfilled or self.fulfilment_requested,
        )

    @property
    def state(self) -> OrderState:
        """What the Elastic Path order document shows besides the checkout snapshot."""
        s = self.statuses()
        return OrderState(
            status=s.status,
            payment=s.payment,
            shipping=s.shipping,
            authorized=s.authorized,
            paid=s.paid,
            updated_at=self.updated_at,
            carrier=self.carrier,
            tracking_reference=self.tracking_reference,
        )

    def snapshot(self) -> CartCheckedOut:
        """The checkout the order was made from, as the shared document builder reads it."""
        return checkout_of(self.id, self._require_placed())

    # -- rules --------------------------------------------------------------------------------

    def _require_placed(self) -> OrderPlaced:
        if self.placed is None:
            raise OrderNotFound(self.id)
        return self.placed

    def _check_money(self, amount: Money) -> None:
        placed = self._require_placed()
        if amount.currency != placed.totals.currency:
            raise PaymentNotApplicable(
                f"A payment in {amount.currency} cannot apply to an order in {placed.totals.currency}",
                meta={"id": self.id},
            )
        if amount.amount < 0:
            raise PaymentNotApplicable(f"A payment of {amount.amount} is negative", meta={"id": self.id})

    def _facts(self, transaction_id: str) -> TransactionFacts:
        return self.transactions.get(transaction_id, TransactionFacts())

    def _learn(
        self, transaction_id: str, merged: TransactionFacts, event: VersionedEvent, at: datetime
    ) -> bool:
        """Record `event` only if it tells something new; then complete the order if it now is."""
        if merged == self._facts(transaction_id):
            return False
        self._record(event)
        if not self.completed and self.statuses().status == "complete":
            self._record(OrderBecameComplete(at=at))
        return True

    # -- state ----------------------------------------------------------------------------------

    def apply(self, event: VersionedEvent) -> None:
        at: datetime | None = getattr(event, "at", None)
        match event:
            case OrderPlaced(checked_out_at=checked_out_at):
                self.placed = event
                at = checked_out_at
            case TransactionAuthorized(transaction_id=txn, amount=amount):
                self.transactions[txn] = self._facts(txn).with_authorization(amount)
            case TransactionCaptured(transaction_id=txn, amount=amount):
                self.transactions[txn] = self._facts(txn).with_capture(amount)
            case TransactionRefunded(transaction_id=txn, refunded_total=total, fully_refunded=full):
                self.transactions[txn] = self._facts(txn).with_refund(total, full)
            case TransactionCancelled(transaction_id=txn):
                self.transactions[txn] = self._facts(txn).with_cancellation()
            case TransactionFailed(transaction_id=txn):
                self.transactions[txn] = self._facts(txn).with_failure()
            case OrderBecameComplete():
                self.completed = True
            case OrderWasCancelled(reason=reason):
                self.cancelled, self.cancel_reason = True, reason
            case OrderFulfilled():
                self.fulfilled = True
            case FulfilmentRequested(carrier=carrier, tracking_reference=tracking):
                self.fulfilment_requested = True
                if tracking is not None:
                    self.carrier, self.tracking_reference = carrier, tracking
            case ShipmentTracked(carrier=carrier, tracking_reference=tracking):
                self.carrier, self.tracking_reference = carrier, tracking
            case OrderAnonymised():
                self.anonymised = True
                if self.placed is not None:  # no longer found by its email
                    self.corrected = True
                    customer = self.placed.customer.model_copy(update={"email_index": None})
                    self.placed = self.placed.model_copy(update={"customer": customer})
            case OrderDetailsCorrected(shipping_address=address, order_number=number, external_ref=ref):
                self.corrected = True
                if self.placed is not None:
                    self.placed = self.placed.model_copy(
                        update={"shipping_address": address, "order_number": number, "external_ref": ref}
                    )
        if at is not None and (self.updated_at is None or at > self.updated_at):
            self.updated_at = at
