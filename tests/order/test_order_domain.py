"""The order aggregate, pure: given events, when a command, then events or an error."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.order.domain.errors import FulfilledOrderCannotBeCancelled, OrderNotFound, PaymentNotApplicable
from services.order.domain.events import (
    OrderBecameComplete,
    OrderFulfilled,
    OrderPlaced,
    OrderWasCancelled,
    TransactionAuthorized,
    TransactionCancelled,
    TransactionCaptured,
    TransactionFailed,
)
from services.order.domain.order import Order
from shared.contracts.registry import VersionedEvent
from shared.contracts.values import Money
from shared.ep.orders import order_document
from tests.order.builders import NOW, TOTAL, checkout, usd

LATER = NOW + timedelta(hours=1)


def placed() -> OrderPlaced:
    order = Order("o-1")
    order.place(checkout("o-1"))
    [event] = order.take_pending()
    assert isinstance(event, OrderPlaced)
    return event


def given(*events: VersionedEvent) -> Order:
    return Order.rehydrate("o-1", events)


def auth(txn: str = "t1", amount: int = TOTAL) -> TransactionAuthorized:
    return TransactionAuthorized(transaction_id=txn, gateway="manual", amount=amount, at=NOW)


def capture(txn: str = "t1", amount: int = TOTAL) -> TransactionCaptured:
    return TransactionCaptured(transaction_id=txn, gateway="manual", amount=amount, at=NOW)


def statuses(order: Order) -> tuple[str, str, str]:
    s = order.statuses()
    return s.status, s.payment, s.shipping


def types(events: list[VersionedEvent]) -> list[str]:
    return [e.event_type for e in events]


def test_a_checkout_places_an_incomplete_unpaid_unfulfilled_order() -> None:
    order = Order("o-1")
    assert order.place(checkout("o-1")) is True
    assert types(order.peek_pending()) == ["OrderPlaced"]
    assert statuses(order) == ("incomplete", "unpaid", "unfulfilled")
    assert order.snapshot() == checkout("o-1")  # the document builder sees the checkout unchanged


def test_the_same_checkout_again_changes_nothing() -> None:
    order = given(placed())
    assert order.place(checkout("o-1")) is False
    assert order.peek_pending() == []


def test_a_checkout_of_another_order_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="given to order"):
        Order("o-1").place(checkout("o-2"))


def test_an_authorisation_covering_the_total_makes_it_processing() -> None:
    order = given(placed())
    assert order.record_authorization("t1", "manual", usd(TOTAL), NOW) is True
    assert types(order.peek_pending()) == ["TransactionAuthorized"]
    assert statuses(order) == ("processing", "authorized", "unfulfilled")
    assert (order.state.authorized, order.state.paid) == (TOTAL, 0)


def test_a_capture_completes_the_order_once() -> None:
    order = given(placed(), auth())
    order.record_capture("t1", "manual", usd(TOTAL), LATER)
    assert types(order.take_pending()) == ["TransactionCaptured", "OrderCompleted"]
    assert statuses(order) == ("complete", "paid", "unfulfilled")  # complete, not shipped
    assert (order.state.authorized, order.state.paid) == (0, TOTAL)
    assert order.record_capture("t1", "manual", usd(TOTAL), LATER) is False  # a duplicate fact
    order.record_capture("t2", "manual", usd(1), LATER)  # more money later: no second completion
    assert types(order.peek_pending()) == ["TransactionCaptured"]


def test_a_capture_seen_before_its_authorisation_still_ends_complete_once() -> None:
    order = given(placed())
    order.record_capture("t1", "manual", usd(TOTAL), LATER)
    assert statuses(order) == ("complete", "paid", "unfulfilled")
    assert order.record_authorization("t1", "manual", usd(TOTAL), NOW) is True  # a new fact, kept
    assert types(order.peek_pending()) == ["TransactionCaptured", "OrderCompleted", "TransactionAuthorized"]
    assert statuses(order) == ("complete", "paid", "unfulfilled")


def test_split_payments_go_through_the_partial_statuses() -> None:
    order = given(placed())
    steps = [
        (order.record_authorization, "a", 6000, ("incomplete", "partially_authorized")),
        (order.record_capture, "a", 6000, ("incomplete", "partially_paid")),
        (order.record_authorization, "b", 4000, ("processing", "authorized")),
        (order.record_capture, "b", 4000, ("complete", "paid")),
    ]
    for record, txn, amount, expected in steps:
        record(txn, "manual", usd(amount), NOW)
        assert statuses(order)[:2] == expected
    assert types(order.peek_pending()).count("OrderCompleted") == 1


def test_refunds_keep_the_largest_running_total_and_leave_the_order_complete() -> None:
    order = given(placed(), capture(), OrderBecameComplete(at=NOW))
    assert order.record_refund("t1", "manual", usd(3000), refunded_total=3000, fully_refunded=False, at=LATER)
    assert statuses(order) == ("complete", "partially_refunded", "unfulfilled")
    assert order.record_refund("t1", "manual", usd(7000), refunded_total=TOTAL, fully_refunded=True, at=LATER)
    assert statuses(order) == ("complete", "refunded", "unfulfilled")
    # the first partial refund delivered again, late: it tells nothing new
    assert not order.record_refund(
        "t1", "manual", usd(3000), refunded_total=3000, fully_refunded=False, at=LATER
    )
    assert types(order.peek_pending()) == ["TransactionRefunded", "TransactionRefunded"]


def test_a_voided_or_failed_authorisation_holds_no_money() -> None:
    order = given(placed(), auth("t1"), auth("t2", 1))
    order.record_transaction_cancelled("t1", "manual", NOW)
    assert isinstance(order.peek_pending()[-1], TransactionCancelled)
    order.record_transaction_failed("t2", "manual", "declined", NOW)
    assert isinstance(order.peek_pending()[-1], TransactionFailed)
    assert statuses(order) == ("incomplete", "unpaid", "unfulfilled")
    assert order.state.authorized == 0
    assert order.record_transaction_cancelled("t1", "manual", NOW) is False


def test_an_unfulfilled_order_can_be_cancelled_once_even_when_paid_and_nothing_is_refunded() -> None:
    order = given(placed(), capture(), OrderBecameComplete(at=NOW))
    assert order.cancel("fraud", LATER) is True
    assert order.peek_pending() == [OrderWasCancelled(reason="fraud", at=LATER)]
    assert statuses(order) == ("cancelled", "paid", "unfulfilled")
    assert order.cancel("again", LATER) is False
    assert len(order.peek_pending()) == 1


def test_a_cancelled_order_never_completes() -> None:
    order = given(placed(), OrderWasCancelled(reason="", at=NOW))
    order.record_capture("t1", "manual", usd(TOTAL), LATER)
    assert types(order.peek_pending()) == ["TransactionCaptured"]
    assert statuses(order) == ("cancelled", "paid", "unfulfilled")


def test_a_fulfilled_order_cannot_be_cancelled() -> None:
    order = given(placed(), capture(), OrderBecameComplete(at=NOW), OrderFulfilled(at=NOW))
    with pytest.raises(FulfilledOrderCannotBeCancelled) as error:
        order.cancel("too late", LATER)
    assert (error.value.status, error.value.title) == (422, "Order cannot be cancelled")
    assert order.peek_pending() == []


def test_a_shipment_shows_fulfilled_once() -> None:
    order = given(placed(), capture(), OrderBecameComplete(at=NOW))
    assert order.record_shipment(LATER) is True
    assert order.record_shipment(LATER) is False
    assert types(order.peek_pending()) == ["OrderFulfilled"]
    assert statuses(order) == ("complete", "paid", "fulfilled")


@pytest.mark.parametrize(
    "fact",
    [
        lambda o: o.record_authorization("t1", "manual", usd(1), NOW),
        lambda o: o.record_capture("t1", "manual", usd(1), NOW),
        lambda o: o.record_refund("t1", "manual", usd(1), refunded_total=1, fully_refunded=False, at=NOW),
        lambda o: o.record_transaction_cancelled("t1", "manual", NOW),
        lambda o: o.record_transaction_failed("t1", "manual", "x", NOW),
        lambda o: o.record_shipment(NOW),
        lambda o: o.cancel("x", NOW),
        lambda o: o.statuses(),
    ],
)
def test_nothing_applies_to_an_order_that_does_not_exist(fact) -> None:
    order = Order("o-1")
    with pytest.raises(OrderNotFound) as error:
        fact(order)
    assert error.value.status == 404 and error.value.order_id == "o-1"
    assert order.peek_pending() == []


@pytest.mark.parametrize("amount", [Money(amount=TOTAL, currency="EUR"), usd(-1)])
def test_payments_in_another_currency_or_negative_never_apply(amount: Money) -> None:
    order = given(placed())
    with pytest.raises(PaymentNotApplicable) as error:
        order.record_capture("t1", "manual", amount, NOW)
    assert error.value.status == 422
    assert order.peek_pending() == [] and statuses(order) == ("incomplete", "unpaid", "unfulfilled")


def test_the_document_shows_statuses_money_and_the_last_change() -> None:
    order = given(placed(), auth("t1", 4000))
    order.record_capture("t2", "manual", usd(6000), LATER)
    document = order_document(order.snapshot(), order.state)
    assert (document["status"], document["payment"], document["shipping"]) == (
        "processing",
        "authorized",
        "unfulfilled",
    )
    price = document["meta"]["display_price"]
    assert (price["authorized"]["amount"], price["paid"]["amount"], price["balance_owing"]["amount"]) == (
        4000,
        6000,
        0,
    )
    assert document["meta"]["timestamps"] == {
        "created_at": "2026-11-26T12:00:00Z",
        "updated_at": "2026-11-26T13:00:00Z",
    }


def test_loading_the_recorded_events_gives_the_same_order() -> None:
    order = Order("o-1")
    order.place(checkout("o-1"))
    order.record_authorization("t1", "manual", usd(TOTAL), NOW)
    order.record_capture("t1", "manual", usd(TOTAL), LATER)
    order.record_refund("t1", "manual", usd(10), refunded_total=10, fully_refunded=False, at=LATER)
    order.record_shipment(LATER)
    reloaded = Order.rehydrate("o-1", order.peek_pending())
    assert reloaded.statuses() == order.statuses()
    assert reloaded.state == order.state and reloaded.completed and reloaded.fulfilled
    assert types(order.peek_pending()) == [
        "OrderPlaced",
        "TransactionAuthorized",
        "TransactionCaptured",
        "OrderCompleted",
        "TransactionRefunded",
        "OrderFulfilled",
    ]
