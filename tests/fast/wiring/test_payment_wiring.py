"""The payment service's consumer as `build_payment_consumer()` wires it, on FastStream's test
broker and the in-memory database: a checkout opens the order a shopper then pays, a cancellation
closes it to new payments, inventory's answer to a payment's allocation request lets the payment
complete or fails it, and every topic it reads dead-letters what it cannot trust or decode."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
import pytest

from services.payment.adapters.consumers import build_payment_consumer
from services.payment.application.paying import Pay, pay
from services.payment.bootstrap import in_process_gateways
from services.payment.domain.errors import InsufficientStock
from services.payment.domain.gateway_settings import MANUAL
from services.payment.domain.payable_order import PayableOrder
from shared.contracts.events import (
    CartCheckedOut,
    OrderCancelled,
    StockAllocated,
    StockAllocationFailed,
    StockAllocationRequested,
)
from shared.eventstore.commit_signals import Commit
from tests.fast.memory import published
from tests.fast.payment_world import World, line, seeded, world
from tests.fast.wiring.subscribed import Subscribed, assert_dead_lettered_as_undecodable, subscribed
from tests.order.builders import checkout

CONSUMED = ["CartCheckedOut", "OrderCancelled", "StockAllocated", "StockAllocationFailed"]


@pytest.fixture
async def w() -> World:
    return await seeded(world(allocation_timeout=2.0))


def checkout_of_shoes(order_id: str) -> CartCheckedOut:
    """Two managed shoes at 2500 each: paying for them asks inventory first."""
    shoes = line("shoe", 2, 2500, managed=True)
    placed = checkout(order_id, total=5000)
    return placed.model_copy(update={"items": [shoes]})


@asynccontextmanager
async def inventory_over_kafka(w: World, kafka: Subscribed, *, allocates: bool) -> AsyncIterator[None]:
    """Inventory's side: each allocation request the payment commits is answered on the broker."""
    answers: set[asyncio.Task[None]] = set()

    async def answer(request: StockAllocationRequested) -> None:
        reply: StockAllocated | StockAllocationFailed = (
            StockAllocated(order_id=request.order_id, request_id=request.request_id, lines=request.lines)
            if allocates
            else StockAllocationFailed(
                order_id=request.order_id,
                request_id=request.request_id,
                reason="sold out",
                short=request.lines,
            )
        )
        await kafka.publish(reply, key=request.order_id)

    def committed(commit: Commit) -> None:
        for row in commit.outbox:
            if row.topic == "StockAllocationRequested":
                request = StockAllocationRequested.model_validate(orjson.loads(row.payload)["data"])
                answers.add(asyncio.get_running_loop().create_task(answer(request)))

    stop = w.database.signals.listen(committed)
    try:
        yield
    finally:
        stop()
        await asyncio.gather(*answers)


async def test_a_checkout_opens_the_order_at_its_total(w: World) -> None:
    async with subscribed(build_payment_consumer(), w.database) as kafka:
        await kafka.publish(checkout("o-1"), key="o-1")
    order = await w.database.read(PayableOrder, "o-1")
    assert order.opened and (order.total, order.currency, order.balance_owing) == (10_000, "USD", 10_000)


async def test_a_cancelled_order_takes_no_new_payment(w: World) -> None:
    async with subscribed(build_payment_consumer(), w.database) as kafka:
        await kafka.publish(checkout("o-1"), key="o-1")
        await kafka.publish(OrderCancelled(order_id="o-1", reason="changed mind"), key="o-1")
    assert (await w.database.read(PayableOrder, "o-1")).cancelled


async def test_inventory_s_allocation_lets_the_payment_complete(w: World) -> None:
    async with subscribed(build_payment_consumer(), w.database) as kafka:
        await kafka.publish(checkout_of_shoes("o-1"), key="o-1")
        async with inventory_over_kafka(w, kafka, allocates=True):
            txn = await pay(w.payments, Pay("o-1", MANUAL, "authorize"))
    assert (txn.status, txn.allocation, txn.authorized) == ("complete", "allocated", 5000)
    assert [topic for topic, _ in published(w.database)] == ["StockAllocationRequested", "PaymentAuthorized"]


async def test_with_the_service_s_in_process_gateways_the_consumer_charges_with_the_answer(w: World) -> None:
    units: list[frozenset[str]] = []
    stop = w.database.signals.listen(lambda commit: units.append(commit.event_types))
    try:
        async with subscribed(build_payment_consumer(in_process_gateways()), w.database) as kafka:
            await kafka.publish(checkout_of_shoes("o-1"), key="o-1")
            async with inventory_over_kafka(w, kafka, allocates=True):
                txn = await pay(w.payments, Pay("o-1", MANUAL, "authorize"))
    finally:
        stop()
    assert (txn.status, txn.allocation, txn.authorized) == ("complete", "allocated", 5000)
    assert [topic for topic, _ in published(w.database)] == ["StockAllocationRequested", "PaymentAuthorized"]
    [answered] = [unit for unit in units if "StockAllocationConfirmed" in unit]
    assert "TransactionAuthorized" in answered, f"charged by the consumer's unit of work: {units}"


async def test_inventory_s_refusal_fails_the_payment(w: World) -> None:
    async with subscribed(build_payment_consumer(), w.database) as kafka:
        await kafka.publish(checkout_of_shoes("o-1"), key="o-1")
        async with inventory_over_kafka(w, kafka, allocates=False):
            with pytest.raises(InsufficientStock):
                await pay(w.payments, Pay("o-1", MANUAL, "authorize"))
    assert [topic for topic, _ in published(w.database)] == ["StockAllocationRequested"]
    assert (await w.database.read(PayableOrder, "o-1")).balance_owing == 5000


@pytest.mark.parametrize("event_type", CONSUMED)
async def test_an_undecodable_message_on_each_topic_it_reads_is_dead_lettered(
    w: World, event_type: str
) -> None:
    await assert_dead_lettered_as_undecodable(
        build_payment_consumer(), w.database, event_type, b'{"event_type": 7}'
    )


async def test_a_checkout_not_from_the_cart_service_opens_nothing(w: World) -> None:
    async with subscribed(build_payment_consumer(), w.database) as kafka:
        await kafka.publish(checkout("o-1"), key="o-1", producer="order")
    assert kafka.reasons() == [
        "refused: producer 'order' does not own topic CartCheckedOut: only 'cart' publishes it"
    ]
    assert not (await w.database.read(PayableOrder, "o-1")).opened
