"""Elastic Path's order flow for stock, pure: given the stock and the order's allocation as events,
when the order's facts arrive (in any order, any number of times), then the stock movements and
answers recorded."""

from __future__ import annotations

from datetime import timedelta

from services.inventory.domain import order_stock
from services.inventory.domain.allocation import Answer, OrderAllocation
from services.inventory.domain.events import OrderPaid, OrderStockAllocated, OrderVoided
from services.inventory.domain.policy import CHECKOUT_REQUEST, AllocationPolicy
from tests.inventory.builders import NOW, TTL, allocation, levels, line, movements, recorded, stock

LATER = NOW + TTL


def test_the_documented_flow_on_a_stock_of_ten() -> None:
    p1 = stock("p1", 10)
    stocks = {"p1": p1}

    # 1-2. added to a cart and checked out: by default nothing is allocated
    assert not AllocationPolicy.ALLOCATE_ON_PAYMENT.reserves_at_checkout
    assert levels(p1) == (10, 0, 10)

    # 3. the shopper attempts to pay: 3 allocated before money moves
    o1 = OrderAllocation("o1")
    assert order_stock.allocate(o1, stocks, "pay-1", [line("p1", 3)], NOW) == Answer(
        "pay-1", True, (line("p1", 3),)
    )
    assert levels(p1) == (10, 3, 7)

    # 4. paid: the allocation stays
    o1.mark_paid(NOW)
    assert levels(p1) == (10, 3, 7)

    # 5. shipped: allocated and total go down
    assert order_stock.ship(o1, stocks, NOW) == (line("p1", 3),)
    assert levels(p1) == (7, 0, 7)

    # another order of 2 is allocated, then cancelled: available is back to 7
    o2 = OrderAllocation("o2")
    assert order_stock.allocate(o2, stocks, "pay-2", [line("p1", 2)], NOW).allocated
    assert levels(p1) == (7, 2, 5)
    released = order_stock.cancel(o2, stocks, NOW)
    assert released is not None and released.lines == (line("p1", 2),)
    assert levels(p1) == (7, 0, 7)

    assert movements(p1) == [
        ("allocate", 3, 10, 3, "o1"),
        ("ship", 3, 7, 0, "o1"),
        ("allocate", 2, 7, 2, "o2"),
        ("deallocate", 2, 7, 0, "o2"),
    ]
    assert recorded(o1) == ["OrderStockAllocated", "OrderPaid", "OrderStockShipped"]
    assert recorded(o2) == ["OrderStockAllocated", "OrderStockReleased", "OrderVoided"]


def test_the_same_request_twice_is_one_allocation_and_the_same_answer() -> None:
    p1 = stock("p1", 5)
    o1 = OrderAllocation("o1")
    first = order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 2)], NOW)
    again = order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 2)], NOW)
    assert first == again and first.allocated
    assert levels(p1) == (5, 2, 3) and recorded(o1) == ["OrderStockAllocated"]


def test_a_refusal_is_repeated_with_its_reason_even_once_stock_is_back() -> None:
    p1 = stock("p1", 1)
    o1 = OrderAllocation("o1")
    refused = order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 2)], NOW)
    assert refused == Answer("pay-1", False, reason="insufficient stock", short=(line("p1", 2),))
    p1.transact("increment", 5, NOW)
    assert order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 2)], NOW) == refused
    assert order_stock.allocate(o1, {"p1": p1}, "pay-2", [line("p1", 2)], NOW).allocated  # a new attempt


def test_a_second_payment_attempt_while_stock_is_held_does_not_allocate_twice() -> None:
    p1 = stock("p1", 5, allocated=2)
    o1 = allocation("o1", OrderStockAllocated(request_id="pay-1", lines=[line("p1", 2)], at=NOW))
    answer = order_stock.allocate(o1, {"p1": p1}, "pay-2", [line("p1", 2)], NOW)
    assert answer == Answer("pay-2", True, (line("p1", 2),))
    assert levels(p1) == (5, 2, 3) and recorded(o1) == ["OrderAllocationConfirmed"]


def test_an_order_allocates_all_its_lines_or_none() -> None:
    plenty, scarce = stock("plenty", 10), stock("scarce", 1)
    stocks = {"plenty": plenty, "scarce": scarce}
    o1 = OrderAllocation("o1")
    answer = order_stock.allocate(o1, stocks, "pay-1", [line("plenty", 2), line("scarce", 2)], NOW)
    assert answer == Answer("pay-1", False, reason="insufficient stock", short=(line("scarce", 2),))
    assert movements(plenty) == [] and movements(scarce) == []
    assert recorded(o1) == ["OrderStockRefused"]


def test_lines_of_one_product_are_added_up_before_checking() -> None:
    p1 = stock("p1", 3)
    answer = order_stock.allocate(OrderAllocation("o1"), {"p1": p1}, "r", [line("p1", 2), line("p1", 2)], NOW)
    assert answer.short == (line("p1", 4),) and levels(p1) == (3, 0, 3)


def test_unmanaged_products_pass_without_allocation() -> None:
    free, unknown, managed = stock("free", 0, managed=False), stock("unknown", 0), stock("managed", 5)
    unknown.stop_tracking(NOW)
    unknown.take_pending()
    stocks = {"free": free, "unknown": unknown, "managed": managed}
    lines = [line("free", 1000), line("unknown", 7), line("managed", 1)]
    answer = order_stock.allocate(OrderAllocation("o1"), stocks, "r", lines, NOW)
    assert answer == Answer("r", True, (line("managed", 1),))
    assert movements(free) == [] and movements(unknown) == [] and levels(managed) == (5, 1, 4)


def test_a_product_the_catalogue_manages_without_stock_has_none_available() -> None:
    p1 = stock("p1", 0)
    p1.stop_tracking(NOW)
    p1.set_managed(True, NOW)
    answer = order_stock.allocate(OrderAllocation("o1"), {"p1": p1}, "r", [line("p1", 1)], NOW)
    assert not answer.allocated and answer.short == (line("p1", 1),)


def test_a_cancellation_before_its_allocation_leaves_nothing_allocated() -> None:
    p1 = stock("p1", 5)
    o1 = OrderAllocation("o1")
    assert order_stock.cancel(o1, {}, NOW) is None  # nothing held yet: remembered all the same
    answer = order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 1)], NOW)
    assert answer == Answer("pay-1", False, reason="order cancelled")
    assert levels(p1) == (5, 0, 5) and recorded(o1) == ["OrderVoided", "OrderStockRefused"]


def test_a_cancelled_order_cancelled_again_changes_nothing() -> None:
    o1 = allocation("o1", OrderVoided(reason="order cancelled", at=NOW))
    assert order_stock.cancel(o1, {}, NOW) is None and recorded(o1) == []


def test_a_failed_payment_releases_the_allocation_made_for_it() -> None:
    p1 = stock("p1", 5)
    o1 = OrderAllocation("o1")
    order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 2)], NOW)
    released = order_stock.fail_payment(o1, {"p1": p1}, "pay-1", NOW)
    assert released is not None and (released.lines, released.reason) == ((line("p1", 2),), "payment failed")
    assert levels(p1) == (5, 0, 5)
    assert order_stock.allocate(o1, {"p1": p1}, "pay-2", [line("p1", 2)], NOW).allocated  # retry the payment
    assert levels(p1) == (5, 2, 3)


def test_a_late_failure_of_an_earlier_attempt_does_not_release_the_current_one() -> None:
    p1 = stock("p1", 5)
    o1 = OrderAllocation("o1")
    order_stock.allocate(o1, {"p1": p1}, "pay-2", [line("p1", 2)], NOW)
    assert order_stock.fail_payment(o1, {"p1": p1}, "pay-1", NOW) is None
    assert levels(p1) == (5, 2, 3)


def test_a_payment_failure_before_its_allocation_request_allocates_nothing() -> None:
    p1 = stock("p1", 5)
    o1 = OrderAllocation("o1")
    assert order_stock.fail_payment(o1, {}, "pay-1", NOW) is None
    assert order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 1)], NOW) == Answer(
        "pay-1", False, reason="payment failed"
    )
    assert levels(p1) == (5, 0, 5)


def test_a_paid_allocation_survives_a_later_failure_of_the_same_payment() -> None:
    p1 = stock("p1", 5)
    o1 = OrderAllocation("o1")
    order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 2)], NOW)
    o1.mark_paid(NOW)
    assert order_stock.fail_payment(o1, {"p1": p1}, "pay-1", NOW) is None
    assert levels(p1) == (5, 2, 3)


def test_shipping_decrements_once() -> None:
    p1 = stock("p1", 5)
    o1 = OrderAllocation("o1")
    order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 2)], NOW)
    assert order_stock.ship(o1, {"p1": p1}, NOW) == (line("p1", 2),)
    assert order_stock.ship(o1, {"p1": p1}, NOW) is None
    assert order_stock.cancel(o1, {"p1": p1}, NOW) is None  # shipped stock is gone for good
    assert levels(p1) == (3, 0, 3) and movements(p1).count(("ship", 2, 3, 0, "o1")) == 1


def test_a_request_after_shipping_is_answered_from_what_shipped() -> None:
    p1 = stock("p1", 5)
    o1 = OrderAllocation("o1")
    order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 2)], NOW)
    order_stock.ship(o1, {"p1": p1}, NOW)
    assert order_stock.allocate(o1, {"p1": p1}, "pay-2", [line("p1", 2)], NOW) == Answer(
        "pay-2", True, (line("p1", 2),)
    )
    assert levels(p1) == (3, 0, 3)


# -- reserve at checkout --------------------------------------------------------------------


def test_a_checkout_reservation_holds_stock_until_its_deadline() -> None:
    assert AllocationPolicy.RESERVE_ON_CHECKOUT.reserves_at_checkout
    p1 = stock("p1", 4)
    o1 = OrderAllocation("o1")
    answer = order_stock.reserve(o1, {"p1": p1}, [line("p1", 3)], NOW, LATER)
    assert answer == Answer(CHECKOUT_REQUEST, True, (line("p1", 3),)) and levels(p1) == (4, 3, 1)
    assert order_stock.expire(o1, {"p1": p1}, LATER - timedelta(seconds=1)) is None
    released = order_stock.expire(o1, {"p1": p1}, LATER)
    assert released is not None and released.reason == "reservation expired"
    assert levels(p1) == (4, 0, 4)


def test_a_paid_reservation_never_expires_and_answers_the_payment_at_once() -> None:
    p1 = stock("p1", 4)
    o1 = OrderAllocation("o1")
    order_stock.reserve(o1, {"p1": p1}, [line("p1", 3)], NOW, LATER)
    answer = order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 3)], NOW)
    assert answer == Answer("pay-1", True, (line("p1", 3),)) and levels(p1) == (4, 3, 1)
    o1.mark_paid(NOW)
    assert order_stock.expire(o1, {"p1": p1}, LATER + TTL) is None
    assert order_stock.fail_payment(o1, {"p1": p1}, "pay-1", NOW) is None  # not the allocation's payment
    assert levels(p1) == (4, 3, 1)


def test_a_payment_answered_from_the_reservation_takes_it_over() -> None:
    p1 = stock("p1", 4)
    o1 = OrderAllocation("o1")
    order_stock.reserve(o1, {"p1": p1}, [line("p1", 3)], NOW, LATER)
    assert order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 3)], NOW).allocated
    assert order_stock.expire(o1, {"p1": p1}, LATER + TTL) is None  # never expires under a payment
    released = order_stock.fail_payment(o1, {"p1": p1}, "pay-1", NOW)  # released if it fails
    assert released is not None and released.reason == "payment failed"
    assert levels(p1) == (4, 0, 4)


def test_a_failed_payment_that_never_claimed_the_reservation_leaves_it_to_its_deadline() -> None:
    p1 = stock("p1", 4)
    o1 = OrderAllocation("o1")
    order_stock.reserve(o1, {"p1": p1}, [line("p1", 3)], NOW, LATER)
    assert order_stock.fail_payment(o1, {"p1": p1}, "pay-0", NOW) is None
    assert levels(p1) == (4, 3, 1)


def test_an_earlier_attempt_failing_late_does_not_release_what_a_later_one_took_over() -> None:
    p1 = stock("p1", 4)
    o1 = OrderAllocation("o1")
    order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 3)], NOW)
    order_stock.allocate(o1, {"p1": p1}, "pay-2", [line("p1", 3)], NOW)
    assert order_stock.fail_payment(o1, {"p1": p1}, "pay-1", NOW) is None
    assert levels(p1) == (4, 3, 1) and o1.allocated_by == "pay-2"


def test_a_checkout_that_arrives_after_the_payment_keeps_no_deadline() -> None:
    p1 = stock("p1", 4)
    o1 = allocation("o1", OrderPaid(at=NOW))
    order_stock.reserve(o1, {"p1": p1}, [line("p1", 1)], NOW, LATER)
    assert o1.expires_at is None and order_stock.expire(o1, {"p1": p1}, LATER + TTL) is None


def test_a_checkout_that_arrives_while_the_payment_holds_stock_changes_nothing() -> None:
    p1 = stock("p1", 4)
    o1 = OrderAllocation("o1")
    order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 1)], NOW)
    assert order_stock.reserve(o1, {"p1": p1}, [line("p1", 1)], NOW, LATER).allocated
    assert (o1.allocated_by, o1.expires_at) == ("pay-1", None) and levels(p1) == (4, 1, 3)


def test_a_checkout_that_arrives_after_the_allocation_was_released_holds_nothing() -> None:
    p1 = stock("p1", 4)
    o1 = OrderAllocation("o1")
    order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 1)], NOW)
    order_stock.fail_payment(o1, {"p1": p1}, "pay-1", NOW)
    answer = order_stock.reserve(o1, {"p1": p1}, [line("p1", 1)], NOW, LATER)
    assert not answer.allocated and levels(p1) == (4, 0, 4)


def test_an_insufficient_reservation_is_refused_whole() -> None:
    p1 = stock("p1", 1)
    answer = order_stock.reserve(OrderAllocation("o1"), {"p1": p1}, [line("p1", 2)], NOW, LATER)
    assert answer == Answer(CHECKOUT_REQUEST, False, reason="insufficient stock", short=(line("p1", 2),))


def test_the_allocation_record_replays_to_the_same_state() -> None:
    p1 = stock("p1", 5)
    o1 = OrderAllocation("o1")
    order_stock.reserve(o1, {"p1": p1}, [line("p1", 2)], NOW, LATER)
    order_stock.allocate(o1, {"p1": p1}, "pay-1", [line("p1", 2)], NOW)
    order_stock.fail_payment(o1, {"p1": p1}, "pay-0", NOW)
    replayed = OrderAllocation.rehydrate("o1", o1.take_pending())
    assert (replayed.state, replayed.lines, replayed.expires_at, replayed.allocated_by) == (
        "allocated",
        (line("p1", 2),),
        None,  # taken over by the payment
        "pay-1",
    )
    assert replayed.answers == o1.answers and replayed.failed_payments == {"pay-0"}
