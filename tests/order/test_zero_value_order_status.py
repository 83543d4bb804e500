"""An order whose total is 0: covered by a completed transaction of 0 (Elastic Path has it paid
through the manual gateway), never by nothing at all; then complete once, and fulfillable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.order.domain.errors import OrderCannotBeFulfilled
from services.order.domain.events import OrderBecameComplete
from services.order.domain.order import Order
from services.order.domain.status import derive_statuses
from services.order.domain.transactions import TransactionFacts
from tests.order.builders import NOW, checkout, usd

AT = NOW + timedelta(minutes=5)


def statuses(*facts: TransactionFacts) -> tuple[str, str]:
    derived = derive_statuses(0, facts, cancelled=False, fulfilled=False)
    return derived.status, derived.payment


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ((), ("incomplete", "unpaid")),  # never paid by itself: a payment of 0 is still asked for
        ((TransactionFacts(captured=0),), ("complete", "paid")),  # a manual purchase of 0
        ((TransactionFacts(authorized=0, captured=0),), ("complete", "paid")),  # authorised, captured
        ((TransactionFacts(authorized=0),), ("processing", "authorized")),  # not captured yet
        ((TransactionFacts(authorized=0, cancelled=True),), ("incomplete", "unpaid")),  # voided
        ((TransactionFacts(authorized=0, failed=True),), ("incomplete", "unpaid")),
        ((TransactionFacts(failed=True),), ("incomplete", "unpaid")),  # a failed attempt covers nothing
        ((TransactionFacts(failed=True), TransactionFacts(captured=0)), ("complete", "paid")),
    ],
)
def test_a_total_of_0_is_covered_by_a_completed_transaction_of_0(
    facts: tuple[TransactionFacts, ...], expected: tuple[str, str]
) -> None:
    assert statuses(*facts) == expected


def test_a_cancelled_free_order_stays_cancelled() -> None:
    derived = derive_statuses(0, [TransactionFacts(captured=0)], cancelled=True, fulfilled=False)
    assert (derived.status, derived.payment) == ("cancelled", "paid")


def test_a_free_order_completes_once_on_its_payment_of_0_and_can_then_be_fulfilled() -> None:
    order = Order("free-order")
    order.place(checkout("free-order", total=0))
    with pytest.raises(OrderCannotBeFulfilled):
        order.request_fulfilment(AT)  # unpaid until the payment of 0 arrives

    assert order.record_authorization("t1", "manual", usd(0), AT)
    assert (order.state.status, order.state.payment) == ("processing", "authorized")
    assert order.record_capture("t1", "manual", usd(0), AT)
    assert not order.record_capture("t1", "manual", usd(0), AT)  # a duplicate adds nothing
    assert (order.state.status, order.state.payment, order.state.paid) == ("complete", "paid", 0)
    assert [type(e) for e in order.peek_pending()].count(OrderBecameComplete) == 1

    assert order.request_fulfilment(AT)
    assert order.state.shipping == "fulfilled"
