"""Status derivation, pure: every transition of the split-payment table, and arrival-order freedom."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import timedelta

import pytest

from services.order.domain.order import Order
from services.order.domain.status import derive_statuses, order_status, payment_status
from services.order.domain.transactions import TransactionFacts
from tests.order.builders import NOW, TOTAL, checkout, usd


@pytest.mark.parametrize(
    ("authorized", "paid", "refunded", "payment"),
    [
        (0, 0, 0, "unpaid"),
        (4000, 0, 0, "partially_authorized"),
        (0, 4000, 0, "partially_paid"),
        (4000, 4000, 0, "partially_paid"),  # money moved counts before money held
        (TOTAL, 0, 0, "authorized"),
        (6000, 4000, 0, "authorized"),  # covered, one authorisation not captured yet
        (0, TOTAL, 0, "paid"),
        (0, TOTAL + 1, 0, "paid"),
        (0, TOTAL, 1, "partially_refunded"),
        (0, TOTAL, TOTAL, "refunded"),
        (0, 4000, 4000, "refunded"),  # all that was paid went back
    ],
)
def test_payment_status(authorized: int, paid: int, refunded: int, payment: str) -> None:
    assert (
        payment_status(TOTAL, authorized, paid, refunded, captured=paid > 0, holding=authorized > 0)
        == payment
    )


@pytest.mark.parametrize(
    ("payment", "paid", "cancelled", "status"),
    [
        ("unpaid", 0, False, "incomplete"),
        ("partially_authorized", 0, False, "incomplete"),
        ("partially_paid", 4000, False, "incomplete"),
        ("authorized", 0, False, "processing"),
        ("authorized", 4000, False, "processing"),
        ("paid", TOTAL, False, "complete"),
        ("refunded", TOTAL, False, "complete"),  # a refund does not reopen a complete order
        ("partially_refunded", TOTAL, False, "complete"),
        ("refunded", 4000, False, "incomplete"),
        ("unpaid", 0, True, "cancelled"),
        ("authorized", 0, True, "cancelled"),
        ("paid", TOTAL, True, "cancelled"),  # cancelling wins, and refunds nothing
    ],
)
def test_order_status(payment: str, paid: int, cancelled: bool, status: str) -> None:
    assert order_status(TOTAL, payment, paid, captured=paid > 0, cancelled=cancelled) == status  # type: ignore[arg-type]


def test_shipping_is_separate_from_payment() -> None:
    unpaid = derive_statuses(TOTAL, [], cancelled=False, fulfilled=True)
    assert (unpaid.status, unpaid.payment, unpaid.shipping) == ("incomplete", "unpaid", "fulfilled")
    paid = derive_statuses(TOTAL, [TransactionFacts(captured=TOTAL)], cancelled=False, fulfilled=False)
    assert (paid.status, paid.payment, paid.shipping) == ("complete", "paid", "unfulfilled")


def test_a_refund_counts_only_against_a_known_capture_and_never_more_than_it() -> None:
    early = TransactionFacts().with_refund(3000, False)
    assert early.refunded == 0  # the capture it returns has not arrived yet
    assert early.with_capture(TOTAL).refunded == 3000
    assert TransactionFacts(captured=2000).with_refund(3000, False).refunded == 2000
    assert TransactionFacts(captured=2000).with_refund(0, True).refunded == 2000  # mark as refunded


MERGES: list[Callable[[TransactionFacts], TransactionFacts]] = [
    lambda f: f.with_authorization(TOTAL),
    lambda f: f.with_authorization(4000),
    lambda f: f.with_capture(TOTAL),
    lambda f: f.with_refund(3000, False),
    lambda f: f.with_refund(TOTAL, True),
    lambda f: f.with_cancellation(),
    lambda f: f.with_failure(),
]


def test_transaction_facts_merge_like_a_set_in_any_order_and_any_number_of_times() -> None:
    reference = TransactionFacts()
    for merge in MERGES:
        reference = merge(reference)
    for order in itertools.permutations(MERGES):
        facts = TransactionFacts()
        for merge in order:
            facts = merge(merge(facts))  # idempotent
        assert facts == reference
    assert reference == TransactionFacts(
        authorized=TOTAL,
        captured=TOTAL,
        refunded_total=TOTAL,
        fully_refunded=True,
        cancelled=True,
        failed=True,
    )


# -- the aggregate under every arrival order ---------------------------------------------------

Fact = Callable[[Order], bool]
AT = NOW + timedelta(minutes=5)


def authorize(txn: str, amount: int) -> Fact:
    return lambda o: o.record_authorization(txn, "manual", usd(amount), AT)


def capture(txn: str, amount: int) -> Fact:
    return lambda o: o.record_capture(txn, "manual", usd(amount), AT)


def refund(txn: str, amount: int, total: int, full: bool = False) -> Fact:
    return lambda o: o.record_refund(
        txn, "manual", usd(amount), refunded_total=total, fully_refunded=full, at=AT
    )


def void(txn: str) -> Fact:
    return lambda o: o.record_transaction_cancelled(txn, "manual", AT)


SCENARIOS: dict[str, tuple[list[Fact], tuple[str, str], int]] = {
    "authorize, capture, partial then full refund": (
        [authorize("t1", TOTAL), capture("t1", TOTAL), refund("t1", 3000, 3000), refund("t1", 7000, TOTAL)],
        ("complete", "refunded"),
        1,
    ),
    "two authorisations captured, one partly refunded": (
        [
            authorize("a", 6000),
            authorize("b", 4000),
            capture("a", 6000),
            capture("b", 4000),
            refund("b", 1000, 1000),
        ],
        ("complete", "partially_refunded"),
        1,
    ),
    "one authorisation captured, the other voided": (
        [authorize("a", 6000), capture("a", 6000), authorize("b", 4000), void("b")],
        ("incomplete", "partially_paid"),
        0,
    ),
}


def play(facts: list[Fact]) -> Order:
    order = Order("o-1")
    order.place(checkout("o-1"))
    for fact in facts:
        fact(order)
    return order


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_arrival_order_of_the_facts_ends_in_the_same_state_completed_at_most_once(
    scenario: str,
) -> None:
    facts, (status, payment), completions = SCENARIOS[scenario]
    reference = play(facts)
    assert (reference.statuses().status, reference.statuses().payment) == (status, payment)
    for arrival in itertools.permutations(facts):
        order = play(list(arrival))
        assert order.statuses() == reference.statuses()
        assert order.transactions == reference.transactions
        assert [e.event_type for e in order.peek_pending()].count("OrderCompleted") == completions


def test_duplicated_facts_in_random_orders_change_nothing_more() -> None:
    facts, _, _ = SCENARIOS["two authorisations captured, one partly refunded"]
    reference = play(facts)
    rng = random.Random(7)
    for _ in range(200):
        delivered = facts * 3
        rng.shuffle(delivered)
        order = play(delivered)
        assert order.statuses() == reference.statuses()
        # each fact is stored once, whatever the number of deliveries
        assert len(order.peek_pending()) == len(reference.peek_pending())
