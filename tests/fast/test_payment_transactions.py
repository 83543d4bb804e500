"""The payment service's admin operations on a transaction, on the in-memory database (the fast
tier): capture, cancel, refund and confirm, through the manual gateway and a scripted gateway that
leaves the process; refusals write nothing, a keyed retry answers what its first attempt did."""

from __future__ import annotations

import pytest

from services.payment.application.cancelling import cancel
from services.payment.application.capturing import capture
from services.payment.application.confirming import confirm
from services.payment.application.paying import Pay, pay
from services.payment.application.refunding import refund
from services.payment.domain.errors import AmountExceeded, TransactionNotFound, TransactionStateError
from services.payment.domain.gateway_settings import MANUAL
from services.payment.domain.gateway_state import GatewayState
from services.payment.domain.payable_order import PayableOrder
from services.payment.domain.transaction import Transaction
from tests.fast.memory import published, published_data
from tests.fast.payment_world import STRIPE, World, checked_out, seeded, world


@pytest.fixture
async def w() -> World:
    return await seeded(world())


def topics(w: World) -> list[str]:
    return [topic for topic, _ in published(w.database)]


async def authorized(w: World, gateway: str = STRIPE) -> Transaction:
    order_id = await checked_out(w.database)
    return await pay(w.payments, Pay(order_id, gateway, "authorize"))


async def purchased(w: World) -> Transaction:
    order_id = await checked_out(w.database)
    return await pay(w.payments, Pay(order_id, STRIPE, "purchase"))


async def test_a_capture_takes_part_of_the_authorisation_once(w: World) -> None:
    txn = await authorized(w)
    captured = await capture(w.payments, txn.order_id, txn.id, 6000)
    assert (captured.status, captured.captured, captured.in_flight) == ("complete", 6000, None)
    assert published_data(w.database, "PaymentCaptured")[0]["amount"]["amount"] == 6000
    assert (await w.database.read(PayableOrder, txn.order_id)).balance_owing == 4000  # settled at 6000
    with pytest.raises(TransactionStateError):
        await capture(w.payments, txn.order_id, txn.id, None)
    assert [op for op, _ in w.stripe.calls] == ["create", "confirm", "capture"]


async def test_a_keyed_capture_retry_answers_the_capture_made(w: World) -> None:
    txn = await authorized(w)
    first = await capture(w.payments, txn.order_id, txn.id, None, key="cap-1")
    again = await capture(w.payments, txn.order_id, txn.id, None, key="cap-1")
    assert (again.captured, again.version) == (first.captured, first.version) == (10000, first.version)
    assert w.stripe.calls[-1] == ("capture", "cap-1") and len(w.stripe.calls) == 3


async def test_a_manual_authorisation_is_captured_without_a_bracket(w: World) -> None:
    txn = await authorized(w, MANUAL)
    captured = await capture(w.payments, txn.order_id, txn.id, None)
    assert (captured.status, captured.captured) == ("complete", 10000)
    assert topics(w) == ["PaymentAuthorized", "PaymentCaptured"]
    assert captured.calls == {}  # nothing left the process: no call recorded


async def test_another_order_s_transaction_is_not_found(w: World) -> None:
    txn = await authorized(w)
    other = await checked_out(w.database)
    for operation in (capture, refund):
        with pytest.raises(TransactionNotFound):
            await operation(w.payments, other, txn.id, None)
    with pytest.raises(TransactionNotFound):
        await cancel(w.payments, other, txn.id, "no")


async def test_a_cancel_voids_the_authorisation_and_the_balance_is_owing_again(w: World) -> None:
    txn = await authorized(w)
    voided = await cancel(w.payments, txn.order_id, txn.id, "changed my mind")
    assert voided.status == "cancelled"
    assert w.stripe.payments[txn.reference or ""].stage == "cancelled"
    assert topics(w) == ["PaymentAuthorized", "PaymentCancelled"]
    assert (await w.database.read(PayableOrder, txn.order_id)).balance_owing == 10000
    retried = await cancel(w.payments, txn.order_id, txn.id, "again", key="k")  # a keyed retry: its answer
    assert (retried.status, retried.version) == ("cancelled", voided.version)
    with pytest.raises(TransactionStateError):
        await cancel(w.payments, txn.order_id, txn.id, "again")


async def test_a_manual_payment_is_cancelled_in_one_unit(w: World) -> None:
    txn = await authorized(w, MANUAL)
    voided = await cancel(w.payments, txn.order_id, txn.id, "out of stock")
    assert voided.status == "cancelled"
    assert topics(w) == ["PaymentAuthorized", "PaymentCancelled"]


async def test_a_captured_payment_cannot_be_cancelled(w: World) -> None:
    txn = await purchased(w)
    before = len(published(w.database))
    with pytest.raises(TransactionStateError):
        await cancel(w.payments, txn.order_id, txn.id, "too late")
    assert len(published(w.database)) == before


async def test_refunds_partial_then_the_rest_never_more(w: World) -> None:
    txn = await purchased(w)
    part = await refund(w.payments, txn.order_id, txn.id, 3000)
    assert part.refunded_total == 3000
    with pytest.raises(AmountExceeded):
        await refund(w.payments, txn.order_id, txn.id, 7001)
    rest = await refund(w.payments, txn.order_id, txn.id, None)  # "Mark as Refunded": no gateway call
    assert (rest.refunded_total, rest.refund_mechanism) == (10000, "manual")
    refunds = published_data(w.database, "PaymentRefunded")
    assert [(r["amount"]["amount"], r["fully_refunded"]) for r in refunds] == [(3000, False), (7000, True)]
    assert [op for op, _ in w.stripe.calls].count("refund") == 1
    with pytest.raises((AmountExceeded, TransactionStateError)):
        await refund(w.payments, txn.order_id, txn.id, 1)


async def test_a_keyed_refund_retry_answers_the_refund_made(w: World) -> None:
    txn = await purchased(w)
    first = await refund(w.payments, txn.order_id, txn.id, 2500, key="rf-1")
    again = await refund(w.payments, txn.order_id, txn.id, 2500, key="rf-1")
    assert again.refunded_total == first.refunded_total == 2500
    assert [op for op, _ in w.stripe.calls].count("refund") == 1


async def test_a_manual_refund_is_only_recorded(w: World) -> None:
    order_id = await checked_out(w.database)
    txn = await pay(w.payments, Pay(order_id, MANUAL, "purchase", by_admin=True))
    refunded = await refund(w.payments, order_id, txn.id, 4000, key="mr-1")
    assert (refunded.refunded_total, refunded.refund_references) == (4000, {"mr-1"})
    again = await refund(w.payments, order_id, txn.id, 4000, key="mr-1")
    assert again.refunded_total == 4000


async def test_confirm_re_syncs_a_payment_waiting_for_the_shopper(w: World) -> None:
    w.stripe.three_d_secure = True
    txn = await authorized(w)
    assert (txn.status, txn.client_secret) == ("pending", "cs")
    assert list(w.tables.open) == [txn.id]  # pending: the reconciler's, should the shopper vanish
    still = await confirm(w.payments, txn.order_id, txn.id)
    assert still.status == "pending"
    reference = txn.reference or ""
    w.stripe.payments[reference] = GatewayState("authorized", reference, authorized=10000)
    done = await confirm(w.payments, txn.order_id, txn.id)
    assert (done.status, done.authorized) == ("complete", 10000)
    assert topics(w) == ["PaymentAuthorized"] and not w.tables.open
    assert (await confirm(w.payments, txn.order_id, txn.id)).version == done.version  # nothing more
