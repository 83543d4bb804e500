"""The payment domain on its own (no I/O): guarded transitions and idempotent merges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.payment.domain.errors import (
    AmountExceeded,
    CancelledOrderCannotBePaid,
    OrderAlreadyPaid,
    TransactionStateError,
)
from services.payment.domain.events import TransactionCaptured, TransactionRefunded
from services.payment.domain.gateway_state import GatewayState
from services.payment.domain.payable_order import PayableOrder
from services.payment.domain.transaction import PaymentDetails, Transaction

AT = datetime(2026, 1, 1, tzinfo=UTC)


def authorized(amount: int = 10000) -> Transaction:
    txn = Transaction("t-1")
    txn.request(
        PaymentDetails(
            order_id="o-1",
            gateway="stripe_payment_intents",
            method="authorize",
            amount=amount,
            currency="USD",
        ),
        AT,
    )
    txn.record_reference("pi_1", "secret", AT)
    txn.merge(GatewayState("authorized", "pi_1", authorized=amount), AT)
    txn.take_pending()
    return txn


def test_the_same_fact_from_two_sources_is_recorded_once() -> None:
    txn = authorized()
    txn.start_call("capture", txn.next_key("capture"), 6000, AT)
    webhook = GatewayState("captured", "pi_1")  # localstripe says no amount: the call's amount counts
    assert txn.merge(webhook, AT) is True
    assert txn.merge(GatewayState("captured", "pi_1", captured=6000), AT) is False  # the call's own answer
    assert txn.merge(GatewayState("authorized", "pi_1"), AT) is False  # an older snapshot
    assert txn.merge(GatewayState("failed", "pi_1", failure_code="card_declined"), AT) is False
    captures = [e for e in txn.take_pending() if isinstance(e, TransactionCaptured)]
    assert [c.amount for c in captures] == [6000]
    assert (txn.status, txn.transaction_type, txn.captured) == ("complete", "capture", 6000)


def test_capture_guards() -> None:
    txn = authorized(5000)
    with pytest.raises(AmountExceeded):
        txn.capture_amount(5001)
    assert txn.capture_amount(None) == 5000
    txn.merge(GatewayState("captured", "pi_1", captured=5000), AT)
    with pytest.raises(TransactionStateError, match="already been captured"):
        txn.capture_amount(None)


def test_refunds_never_exceed_the_capture_and_are_counted_once() -> None:
    txn = authorized(5000)
    txn.merge(GatewayState("captured", "pi_1", captured=5000), AT)
    txn.start_call("refund", txn.next_key("refund"), 2000, AT)
    txn.merge(GatewayState("pending", "pi_1", refunded=2000), AT)  # charge.refunded, our call in flight
    txn.record_refund(2000, "automatic", "re_1", AT)
    txn.record_refund(2000, "automatic", "re_1", AT)  # the same refund reported again
    txn.finish_call("refund", "done", AT)
    assert txn.merge(GatewayState("pending", "pi_1", refunded=2000), AT) is False
    assert txn.refunded_total == 2000
    with pytest.raises(AmountExceeded):
        txn.refund_amount(3001)
    assert txn.refund_amount(None) == 3000
    assert txn.next_key("refund") == "t-1:refund:2"
    refunds = [e for e in txn.take_pending() if isinstance(e, TransactionRefunded)]
    assert [r.refunded_total for r in refunds] == [2000]


def test_idempotency_keys_are_derived_from_the_transaction() -> None:
    txn = authorized()
    assert txn.next_key("capture") == "t-1:capture"
    txn.start_call("capture", txn.next_key("capture"), 10000, AT)
    txn.finish_call("capture", "not_done", AT)
    assert txn.next_key("capture") == "t-1:capture:2"
    assert txn.next_key("confirm") == "t-1:confirm"


def test_an_order_is_never_paid_twice() -> None:
    order = PayableOrder("o-1")
    order.open(10000, "USD", [], AT)
    assert order.reserve("t-1", 4000, AT, gateway="manual") == 4000
    assert order.reserve("t-2", None, AT, gateway="manual") == 6000
    with pytest.raises(OrderAlreadyPaid):
        order.reserve("t-3", None, AT, gateway="manual")
    order.release("t-2", AT)  # failed or voided: owing again
    assert order.balance_owing == 6000
    order.note_cancelled("customer asked", AT)
    with pytest.raises(CancelledOrderCannotBePaid):
        order.reserve("t-4", None, AT, gateway="manual")


def test_unfinished_business_as_saved_and_as_it_is_now() -> None:
    """What `open_transactions` follows: written only when a unit of work changes it."""
    txn = Transaction("t-2")
    assert (txn.unfinished, txn.was_unfinished) == (False, False)
    txn.request(
        PaymentDetails(order_id="o-2", gateway="manual", method="authorize", amount=1, currency="USD"), AT
    )
    assert (txn.unfinished, txn.was_unfinished) == (True, False)  # opened by this unit of work
    _saved(txn)
    txn.record_reference("manual", None, AT)
    assert (txn.unfinished, txn.was_unfinished) == (True, True)  # still open: nothing to write
    txn.merge(GatewayState("authorized", "manual", authorized=1), AT)
    assert (txn.unfinished, txn.was_unfinished) == (False, True)  # settled by this unit of work
    _saved(txn)
    txn.start_call("capture", txn.next_key("capture"), 1, AT)
    assert (txn.unfinished, txn.was_unfinished) == (True, False)  # a call in flight opens it again


def _saved(txn: Transaction) -> None:
    """As the unit of work's flush leaves it: pending events appended, at their version."""
    version = txn.current_version
    txn.take_pending()
    txn.version = version
