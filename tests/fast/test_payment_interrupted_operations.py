"""An admin operation on a transaction (capture, refund, cancel) whose request died during its
gateway call, on the in-memory database (the fast tier): the retry settles the call from the
gateway's records first, and when the call had gone through, answers it instead of calling again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from services.payment.application.cancelling import cancel
from services.payment.application.capturing import capture
from services.payment.application.paying import Pay, pay
from services.payment.application.refunding import refund
from services.payment.domain.gateway_state import GatewayRefund, GatewayState
from services.payment.domain.transaction import Transaction
from tests.fast.payment_world import STRIPE, World, checked_out, seeded, world


@pytest.fixture
async def w() -> World:
    return await seeded(world())


async def paid(w: World, method: str) -> Transaction:
    return await pay(w.payments, Pay(await checked_out(w.database), STRIPE, method))


async def died_during(
    w: World, txn: Transaction, operation: str, request: Callable[[], Awaitable[Transaction]]
) -> Transaction:
    """Run `request` until its `operation` call is at the gateway, then end it (as its process
    dying would): the call stays in flight, and the transaction's lock is free again."""
    w.stripe.hang[operation] = asyncio.Event()
    made = operations(w).count(operation)
    task = asyncio.ensure_future(request())
    while operations(w).count(operation) == made:
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    del w.stripe.hang[operation]
    left = await w.database.read(Transaction, txn.id)
    assert left.in_flight is not None and left.in_flight.operation == operation
    assert not w.locks.holding(txn.id)
    return left


def operations(w: World) -> list[str]:
    return [op for op, _ in w.stripe.calls]


async def test_a_capture_that_went_through_is_answered_by_the_retry(w: World) -> None:
    txn = await paid(w, "authorize")
    left = await died_during(w, txn, "capture", lambda: capture(w.payments, txn.order_id, txn.id, None))
    reference = left.reference or ""
    w.stripe.payments[reference] = GatewayState("captured", reference, authorized=10000, captured=10000)
    again = await capture(w.payments, txn.order_id, txn.id, None)
    assert (again.status, again.captured, again.in_flight) == ("complete", 10000, None)
    assert operations(w).count("capture") == 1  # asked what happened; never captured again


async def test_a_refund_that_went_through_is_answered_by_the_retry_of_the_same_amount(w: World) -> None:
    txn = await paid(w, "purchase")
    left = await died_during(w, txn, "refund", lambda: refund(w.payments, txn.order_id, txn.id, 2500))
    assert left.in_flight is not None
    w.stripe.refunds[left.in_flight.idempotency_key] = GatewayRefund("re_made", 2500)
    again = await refund(w.payments, txn.order_id, txn.id, 2500)
    assert (again.refunded_total, again.refund_references, again.in_flight) == (2500, {"re_made"}, None)
    assert operations(w).count("refund") == 1


async def test_a_refund_that_never_reached_the_gateway_is_made_by_the_retry(w: World) -> None:
    txn = await paid(w, "purchase")
    await refund(w.payments, txn.order_id, txn.id, 1000)  # an earlier refund, made
    await died_during(w, txn, "refund", lambda: refund(w.payments, txn.order_id, txn.id, 2500))
    again = await refund(w.payments, txn.order_id, txn.id, 2500)
    assert (again.refunded_total, again.in_flight) == (3500, None)
    assert operations(w).count("refund") == 3  # the interrupted one never happened: made now


async def test_a_void_that_went_through_is_answered_by_the_retry(w: World) -> None:
    txn = await paid(w, "authorize")
    left = await died_during(
        w, txn, "cancel", lambda: cancel(w.payments, txn.order_id, txn.id, "changed my mind")
    )
    reference = left.reference or ""
    w.stripe.payments[reference] = GatewayState("cancelled", reference, authorized=10000)
    again = await cancel(w.payments, txn.order_id, txn.id, "changed my mind")
    assert (again.status, again.in_flight) == ("cancelled", None)
    assert operations(w).count("cancel") == 1
