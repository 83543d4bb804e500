"""Payments of an order whose total is 0, in the payment domain alone: one payment of 0, only
through the manual gateway (Elastic Path's rule), and a capture of 0 that counts as a capture."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.payment.adapters.gateways.manual import ManualGateway
from services.payment.application.ports import ChargeRequest
from services.payment.domain.errors import (
    OrderAlreadyPaid,
    TransactionStateError,
    ZeroValueOrderNeedsManualGateway,
)
from services.payment.domain.events import TransactionCaptured
from services.payment.domain.payable_order import PayableOrder
from services.payment.domain.transaction import PaymentDetails, Transaction

AT = datetime(2026, 1, 1, tzinfo=UTC)


def free_order() -> PayableOrder:
    order = PayableOrder("o-free")
    order.open(0, "USD", [], AT)
    return order


def test_a_free_order_is_paid_once_by_a_manual_payment_of_0() -> None:
    order = free_order()
    with pytest.raises(ZeroValueOrderNeedsManualGateway):
        order.reserve("t-card", None, AT, gateway="stripe_payment_intents")
    assert order.reservations == {}  # refused before anything was held

    assert order.reserve("t-1", None, AT, gateway="manual") == 0
    with pytest.raises(OrderAlreadyPaid):
        order.reserve("t-2", None, AT, gateway="manual")
    order.release("t-1", AT)  # it failed: the order can be paid again
    assert order.reserve("t-3", None, AT, gateway="manual") == 0


def test_an_order_with_a_total_takes_any_gateway() -> None:
    order = PayableOrder("o-paid")
    order.open(500, "USD", [], AT)
    assert order.reserve("t-1", None, AT, gateway="stripe_payment_intents") == 500


async def test_an_authorisation_of_0_is_captured_once_and_then_neither_voided_nor_refunded() -> None:
    txn = Transaction("t-1")
    txn.request(
        PaymentDetails(order_id="o-free", gateway="manual", method="authorize", amount=0, currency="USD"), AT
    )
    gateway = ManualGateway()
    request = ChargeRequest(
        transaction_id=txn.id, order_id="o-free", method="authorize", amount=0, currency="USD", payment=None
    )
    txn.merge(await gateway.confirm("manual", request, txn.next_key("confirm")), AT)
    assert (txn.status, txn.transaction_type, txn.cancellable) == ("complete", "authorize", True)

    assert txn.capture_amount(None) == 0
    captured = await gateway.capture("manual", 0, txn.next_key("capture"))
    assert txn.merge(captured, AT) is True
    assert txn.merge(captured, AT) is False  # the same capture reported again adds nothing
    assert [e.amount for e in txn.take_pending() if isinstance(e, TransactionCaptured)] == [0]
    assert (txn.status, txn.transaction_type, txn.has_capture) == ("complete", "capture", True)

    with pytest.raises(TransactionStateError, match="already been captured"):
        txn.capture_amount(None)
    assert not txn.cancellable
    with pytest.raises(TransactionStateError, match="refund it instead"):
        txn.check_cancellable()
    with pytest.raises(TransactionStateError, match="nothing to refund"):
        txn.refund_amount(None)
