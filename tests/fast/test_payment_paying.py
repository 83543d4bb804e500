"""The payment service's `pay` on the in-memory database (the fast tier): manual authorize and
purchase, with and without stock to allocate (inventory's reply recorded by the payment consumer's
handler, concurrently), a gateway that leaves the process (scripted: approved, declined,
unreachable), a disabled gateway, and a retry with an Idempotency-Key resuming what its first
attempt left (a call in flight, or stock still awaited). The same handlers run on PostgreSQL,
Kafka and localstripe in tests/payment."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.payment.application import paying
from services.payment.application.allocation import record_reply
from services.payment.application.paying import Pay, pay
from services.payment.application.reading import order_transactions
from services.payment.domain.errors import (
    AllocationTimedOut,
    GatewayCallInFlight,
    GatewayDeclined,
    GatewayNotEnabled,
    GatewayUnavailable,
    InsufficientStock,
    ManualPaymentNeedsAdmin,
)
from services.payment.domain.gateway_settings import MANUAL
from services.payment.domain.payable_order import PayableOrder
from services.payment.domain.transaction import Transaction
from tests.fast.memory import published, published_data
from tests.fast.payment_world import STRIPE, World, checked_out, inventory, line, seeded, world


@pytest.fixture
async def w() -> World:
    return await seeded(world())


def topics(w: World) -> list[str]:
    return [topic for topic, _ in published(w.database)]


async def owing(w: World, order_id: str) -> int:
    return (await w.database.read(PayableOrder, order_id)).balance_owing


async def test_a_manual_authorisation_without_stock_is_one_unit_and_holds_the_balance(w: World) -> None:
    order_id = await checked_out(w.database)
    txn = await pay(w.payments, Pay(order_id, MANUAL, "authorize"))
    assert (txn.status, txn.authorized, txn.captured) == ("complete", 10000, 0)
    assert topics(w) == ["PaymentAuthorized"]
    assert await owing(w, order_id) == 0
    assert not w.tables.open  # never unfinished: no row for the reconciler
    assert not w.tables.references  # an in-process gateway sends no webhooks


async def test_a_manual_purchase_is_the_merchant_s_word_only(w: World) -> None:
    order_id = await checked_out(w.database)
    with pytest.raises(ManualPaymentNeedsAdmin):
        await pay(w.payments, Pay(order_id, MANUAL, "purchase"))
    assert published(w.database) == []
    txn = await pay(w.payments, Pay(order_id, MANUAL, "purchase", by_admin=True))
    assert (txn.status, txn.captured) == ("complete", 10000)
    assert topics(w) == ["PaymentCaptured"]


async def test_stock_is_allocated_before_a_manual_payment_completes(w: World) -> None:
    order_id = await checked_out(
        w.database, line("shoe", 2, 2500, managed=True), line("gift", 1, 0, managed=False)
    )
    async with inventory(w.database) as answered:
        txn = await pay(w.payments, Pay(order_id, MANUAL, "authorize"))
    assert answered == [txn.id]
    assert (txn.status, txn.allocation, txn.authorized) == ("complete", "allocated", 5000)
    assert topics(w) == ["StockAllocationRequested", "PaymentAuthorized"]
    request = published_data(w.database, "StockAllocationRequested")[0]
    assert request["lines"] == [{"product_id": "shoe", "quantity": 2}]
    assert not w.tables.open  # open while waiting for stock, closed once complete
    assert not w.locks.holding(txn.id)


async def test_a_manual_payment_is_charged_by_the_unit_that_records_inventory_s_answer(w: World) -> None:
    order_id = await checked_out(w.database, line("shoe", 2, 2500, managed=True))
    units: list[frozenset[str]] = []
    stop = w.database.signals.listen(lambda commit: units.append(commit.event_types))
    try:
        async with inventory(w.database, charges={MANUAL: w.payments.gateway(MANUAL)}) as answered:
            txn = await pay(w.payments, Pay(order_id, MANUAL, "authorize"))
    finally:
        stop()
    assert answered == [txn.id]
    assert (txn.status, txn.allocation, txn.authorized) == ("complete", "allocated", 5000)
    assert topics(w) == ["StockAllocationRequested", "PaymentAuthorized"]
    charged = [unit for unit in units if "TransactionAuthorized" in unit]
    answering = [unit for unit in units if "StockAllocationConfirmed" in unit]
    assert charged == answering, "one unit records the answer and the charge"
    assert len(units) == 2, f"the request's unit and the answer's, no third: {units}"
    assert not w.tables.open
    assert not w.locks.holding(txn.id)


async def test_a_stripe_payment_is_charged_by_its_request_whatever_the_consumer_charges(w: World) -> None:
    order_id = await checked_out(w.database, line("shoe", 1, 3000, managed=True))
    async with inventory(w.database, charges={MANUAL: w.payments.gateway(MANUAL)}):
        txn = await pay(w.payments, Pay(order_id, STRIPE, "purchase"))
    assert (txn.status, txn.allocation, txn.captured) == ("complete", "allocated", 3000)
    assert [call[0] for call in w.stripe.calls] == ["create", "confirm"], "bracketed calls, by the request"


async def test_an_answer_that_comes_as_the_wait_ends_stands_instead_of_a_timeout(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = await checked_out(w.database, line("shoe", 1, 700, managed=True))

    async def answered_as_the_wait_ended(database: Any, txn: Transaction, timeout: float) -> Transaction:
        await database.run(lambda uow: record_reply(uow, txn.id, allocated=True))
        return txn  # as the request last saw it: still waiting

    monkeypatch.setattr(paying, "await_allocation", answered_as_the_wait_ended)
    txn = await pay(w.payments, Pay(order_id, MANUAL, "authorize"))
    assert (txn.status, txn.allocation, txn.authorized) == ("complete", "allocated", 700)
    assert topics(w) == ["StockAllocationRequested", "PaymentAuthorized"], "no PaymentFailed"


async def test_a_refused_allocation_fails_the_payment_before_any_gateway_call(w: World) -> None:
    order_id = await checked_out(w.database, line("shoe", 2, 2500, managed=True))
    async with inventory(w.database, allocates=False):
        with pytest.raises(InsufficientStock):
            await pay(w.payments, Pay(order_id, STRIPE, "purchase"))
    assert w.stripe.calls == []
    [txn] = await order_transactions(w.payments.reads, await w.database.read(PayableOrder, order_id))
    assert (txn.status, txn.allocation) == ("failed", "refused")
    assert await owing(w, order_id) == 5000  # released: the order may be paid again
    assert topics(w) == ["StockAllocationRequested"]  # nothing allocated, nothing to release


async def test_no_allocation_in_time_fails_the_payment_and_tells_inventory(w: World) -> None:
    order_id = await checked_out(w.database, line("shoe", 1, 700, managed=True))
    with pytest.raises(AllocationTimedOut):
        await pay(w.payments, Pay(order_id, MANUAL, "authorize"))
    assert topics(w) == ["StockAllocationRequested", "PaymentFailed"]
    assert await owing(w, order_id) == 700
    assert not w.tables.open


async def test_a_gateway_that_leaves_the_process_brackets_each_call(w: World) -> None:
    order_id = await checked_out(w.database, line("shoe", 1, 4000, managed=True))
    async with inventory(w.database):
        txn = await pay(w.payments, Pay(order_id, STRIPE, "authorize", payment="pm_card_visa"))
    assert (txn.status, txn.authorized) == ("complete", 4000)
    assert [operation for operation, _ in w.stripe.calls] == ["create", "confirm"]
    assert w.stripe.login == "sk_test_fast"  # the configured key
    assert txn.reference is not None and w.tables.references == {txn.reference: txn.id}
    assert txn.in_flight is None and not w.tables.open
    assert topics(w) == ["StockAllocationRequested", "PaymentAuthorized"]


async def test_a_decline_fails_the_payment_and_releases_the_balance(w: World) -> None:
    w.stripe.refuse.add("confirm")
    order_id = await checked_out(w.database)
    with pytest.raises(GatewayDeclined):
        await pay(w.payments, Pay(order_id, STRIPE, "purchase"))
    [txn] = await order_transactions(w.payments.reads, await w.database.read(PayableOrder, order_id))
    assert (txn.status, txn.failure_code) == ("failed", "card_declined")
    assert topics(w) == ["PaymentFailed"]
    assert await owing(w, order_id) == 10000
    assert not w.tables.open


async def test_no_answer_leaves_the_call_in_flight_for_reconciliation(w: World) -> None:
    w.stripe.unreachable.add("confirm")
    order_id = await checked_out(w.database)
    with pytest.raises(GatewayUnavailable):
        await pay(w.payments, Pay(order_id, STRIPE, "purchase"))
    [txn] = await order_transactions(w.payments.reads, await w.database.read(PayableOrder, order_id))
    assert txn.status == "pending" and txn.in_flight is not None and txn.in_flight.operation == "confirm"
    assert list(w.tables.open) == [txn.id]
    assert published(w.database) == []


async def test_a_disabled_gateway_refuses_new_payments(w: World) -> None:
    from services.payment.application.gateway_config import update_gateway

    await update_gateway(w.database, STRIPE, False, None)
    order_id = await checked_out(w.database)
    with pytest.raises(GatewayNotEnabled):
        await pay(w.payments, Pay(order_id, STRIPE, "purchase"))
    assert published(w.database) == [] and w.stripe.calls == []


async def test_an_idempotency_key_retry_resumes_instead_of_charging_again(w: World) -> None:
    w.stripe.unreachable.add("confirm")
    order_id = await checked_out(w.database)
    command = Pay(
        order_id, STRIPE, "purchase", transaction_id="t-key-1", gateway_keys=lambda op: f"key-1:{op}"
    )
    with pytest.raises(GatewayUnavailable):
        await pay(w.payments, command)
    w.stripe.unreachable.clear()
    txn = await pay(w.payments, command)  # the call left in flight is reconciled, then confirmed
    assert (txn.id, txn.status, txn.captured) == ("t-key-1", "complete", 10000)
    again = await pay(w.payments, command)  # done: answered as it is, no call
    assert again.version == txn.version
    assert [call for call in w.stripe.calls] == [
        ("create", "key-1:create"),
        ("confirm", "key-1:confirm"),
        ("confirm", "key-1:confirm"),
    ]
    assert topics(w) == ["PaymentCaptured"]


async def test_an_idempotency_key_retry_resumes_a_payment_still_waiting_for_its_stock(w: World) -> None:
    order_id = await checked_out(w.database, line("shoe", 1, 4000, managed=True))
    command = Pay(order_id, STRIPE, "purchase", transaction_id="t-key-4", gateway_keys=lambda op: f"k4:{op}")
    first = asyncio.create_task(pay(w.payments, command))
    while not w.tables.open and not first.done():  # requested, stock not answered yet
        await asyncio.sleep(0.001)
    first.cancel()  # the request ends (its process dies) while inventory has not answered
    with pytest.raises(asyncio.CancelledError):
        await first
    retry = asyncio.create_task(pay(w.payments, command))
    await asyncio.sleep(0.01)  # the retry is waiting for the reply to the first attempt's request
    assert w.locks.holding("t-key-4") and not retry.done()
    await w.database.run(lambda uow: record_reply(uow, "t-key-4", allocated=True))
    txn = await retry
    assert (txn.id, txn.status, txn.allocation, txn.captured) == ("t-key-4", "complete", "allocated", 4000)
    assert topics(w) == ["StockAllocationRequested", "PaymentCaptured"]  # stock asked for once
    assert w.stripe.calls == [("create", "k4:create"), ("confirm", "k4:confirm")]
    assert not w.tables.open and not w.locks.holding("t-key-4")


async def test_a_failed_payment_s_retry_answers_its_failure_again(w: World) -> None:
    w.stripe.refuse.add("confirm")
    order_id = await checked_out(w.database)
    command = Pay(order_id, STRIPE, "purchase", transaction_id="t-key-2", gateway_keys=lambda op: f"k2:{op}")
    with pytest.raises(GatewayDeclined):
        await pay(w.payments, command)
    with pytest.raises(GatewayDeclined):
        await pay(w.payments, command)
    assert len(w.stripe.calls) == 2  # create and the declined confirm, once each


async def test_a_retry_while_the_first_attempt_holds_the_lock_is_refused(w: World) -> None:
    w.stripe.hang["confirm"] = asyncio.Event()
    order_id = await checked_out(w.database)
    command = Pay(order_id, STRIPE, "purchase", transaction_id="t-key-3", gateway_keys=lambda op: f"k3:{op}")
    first = asyncio.create_task(pay(w.payments, command))
    while not w.locks.holding("t-key-3") or len(w.stripe.calls) < 2:
        await asyncio.sleep(0.001)
    with pytest.raises(GatewayCallInFlight):
        await pay(w.payments, command)  # waits lock_wait, then 409
    w.stripe.hang["confirm"].set()
    assert (await first).status == "complete"
