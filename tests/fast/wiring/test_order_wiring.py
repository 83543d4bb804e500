"""The order service's consumer as `build_order_consumer()` wires it, on FastStream's test broker
and the in-memory database: a checkout places the order, a payment fact before its checkout waits
parked for it, and every topic it reads dead-letters what it cannot trust or decode."""

from __future__ import annotations

import pytest

from services.order.adapters.consumers import build_order_consumer
from services.order.domain.order import Order
from shared.eventstore.in_memory import InMemoryDatabase
from tests.fast.memory import published
from tests.fast.wiring.subscribed import (
    assert_dead_lettered_as_undecodable,
    bound_in_memory,
    fetched,
    subscribed,
)
from tests.order.builders import authorized, checkout

CONSUMED = [
    "CartCheckedOut",
    "OrderShipped",
    "PaymentAuthorized",
    "PaymentCancelled",
    "PaymentCaptured",
    "PaymentFailed",
    "PaymentRefunded",
    "ShipmentConfirmed",
]


@pytest.fixture
def database() -> InMemoryDatabase:
    return InMemoryDatabase(producer="order")


async def test_a_checkout_places_the_order_once_however_often_it_is_delivered(
    database: InMemoryDatabase,
) -> None:
    consumer = build_order_consumer()
    async with subscribed(consumer, database) as kafka:
        await kafka.publish(checkout("o-1"), key="o-1")
        await kafka.publish(checkout("o-1"), key="o-1")  # a new message, the same checkout
    order = await database.read(Order, "o-1")
    assert (order.state.status, order.state.payment) == ("incomplete", "unpaid")
    assert published(database) == [("OrderCreated", "o-1")]
    assert consumer.applied == 2 and kafka.dead_letters.messages == []


async def test_a_payment_before_its_checkout_is_parked_and_applied_after_it(
    database: InMemoryDatabase,
) -> None:
    consumer = build_order_consumer()
    async with subscribed(consumer, database) as kafka:
        await kafka.publish(authorized("o-1", "t-1"), key="o-1")
        assert consumer.parked == 1 and not (await database.read(Order, "o-1")).exists
        await kafka.publish(checkout("o-1"), key="o-1")
    assert (await database.read(Order, "o-1")).state.payment == "authorized"


async def test_a_fetched_batch_is_applied_in_one_unit_of_work_and_again_as_no_ops(
    database: InMemoryDatabase,
) -> None:
    consumer = build_order_consumer()
    dead_letters = bound_in_memory(consumer, database)
    await consumer.retry_parked()  # the first sweep: until it has read the table, every key may hold some
    batch = [fetched(checkout(f"o-{n}"), key=f"o-{n}", offset=n) for n in range(3)]
    await consumer.process_batch(batch)
    assert {event.transaction_id for event in database.store.log} == {1}  # one commit for all three
    assert [(await database.read(Order, f"o-{n}")).exists for n in range(3)] == [True, True, True]
    written = len(database.store.log)
    await consumer.process_batch(batch)  # redelivered: the inbox makes every one a no-op
    assert (consumer.applied, consumer.duplicates, len(database.store.log)) == (3, 3, written)
    assert dead_letters.messages == []


@pytest.mark.parametrize("event_type", CONSUMED)
async def test_an_undecodable_message_on_each_topic_it_reads_is_dead_lettered(
    database: InMemoryDatabase, event_type: str
) -> None:
    await assert_dead_lettered_as_undecodable(
        build_order_consumer(), database, event_type, b"\x00 not an envelope"
    )


async def test_a_payment_fact_not_from_the_payment_service_is_refused(database: InMemoryDatabase) -> None:
    async with subscribed(build_order_consumer(), database) as kafka:
        await kafka.publish(checkout("o-1"), key="o-1")
        await kafka.publish(authorized("o-1", "t-1"), key="o-1", producer="cart")
    assert kafka.reasons() == [
        "refused: producer 'cart' does not own topic PaymentAuthorized: only 'payment' publishes it"
    ]
    assert (await database.read(Order, "o-1")).state.payment == "unpaid"
