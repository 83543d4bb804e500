"""The `order` consumer on real Postgres: real envelopes through `EventConsumer.process`, as Kafka
would hand them over. Exactly one order per checkout, every fact applied once whatever the
delivery (duplicates, early arrivals, concurrency), and facts that can never apply dead-lettered."""

from __future__ import annotations

import asyncio

import pytest

from services.order.application import reading
from services.order.application.placing import place_order
from services.order.application.reading import get_order_soon
from services.order.domain.errors import OrderNotFound
from services.order.domain.view import OrderView
from shared.contracts.events import PaymentCaptured
from shared.contracts.values import Money
from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer import EventConsumer
from tests.order.builders import TOTAL, authorized, captured, checkout, envelope, message, refunded, shipped
from tests.order.reads import parked, published, published_data, statuses, stream_version, view
from tests.support.databases import RecordedDeadLetters


async def test_a_checkout_becomes_exactly_one_order_announced_once(
    database: Database, consumer: EventConsumer
):
    checked_out = envelope(checkout("o-1"), producer="cart", minutes=0)
    await consumer.process(message(checked_out))
    assert await statuses(database, "o-1") == ("incomplete", "unpaid", "unfulfilled")
    assert (await view(database, "o-1")).snapshot == checkout("o-1")

    await consumer.process(message(checked_out))  # Kafka redelivers the same record
    republished = envelope(checkout("o-1"), producer="cart", minutes=0)  # the same checkout, a new event id
    await consumer.process(message(republished, offset=1))

    assert (consumer.applied, consumer.duplicates) == (2, 1)
    assert await stream_version(database, "o-1") == 1
    assert await published(database) == [("OrderCreated", "o-1")]
    [created] = await published_data(database, "OrderCreated")
    assert (created["order_id"], created["cart_id"], created["totals"]["with_tax"]) == (
        "o-1",
        "cart-of-o-1",
        TOTAL,
    )


async def test_a_capture_before_its_checkout_is_parked_then_applied_once(
    database: Database, consumer: EventConsumer
):
    capture = envelope(captured("o-1", "t1"), minutes=5)
    await consumer.process(message(capture))
    assert consumer.parked == 1 and await parked(database) == 1
    with pytest.raises(OrderNotFound):
        await view(database, "o-1")

    await consumer.process(message(envelope(checkout("o-1"), producer="cart", minutes=0)))
    assert await parked(database) == 0
    assert await statuses(database, "o-1") == ("complete", "paid", "unfulfilled")

    await consumer.process(message(capture, offset=1))  # the original delivery comes round again
    assert consumer.duplicates == 1
    assert await stream_version(database, "o-1") == 3  # placed, captured, completed
    assert await published(database) == [("OrderCreated", "o-1"), ("OrderCompleted", "o-1")]


async def test_the_periodic_sweep_applies_what_was_parked_once_the_order_exists(
    database: Database, consumer: EventConsumer
):
    await consumer.process(message(envelope(authorized("o-1", "t1"))))
    await consumer.process(message(envelope(shipped("o-1"), producer="fulfillment")))
    assert await parked(database) == 2
    async with database.unit_of_work() as uow:  # the order arrived another way: no same-key retry ran
        await place_order(uow, checkout("o-1"))
    assert await consumer.retry_parked() == 2
    assert await parked(database) == 0
    assert await statuses(database, "o-1") == ("processing", "authorized", "fulfilled")


async def test_the_lifecycle_authorize_capture_ship_refund(database: Database, consumer: EventConsumer):
    steps = [
        (checkout("o-1"), ("incomplete", "unpaid", "unfulfilled")),
        (authorized("o-1", "t1"), ("processing", "authorized", "unfulfilled")),
        (captured("o-1", "t1"), ("complete", "paid", "unfulfilled")),
        (shipped("o-1"), ("complete", "paid", "fulfilled")),
        (refunded("o-1", "t1", 2500, 2500), ("complete", "partially_refunded", "fulfilled")),
        (refunded("o-1", "t1", 7500, TOTAL, full=True), ("complete", "refunded", "fulfilled")),
    ]
    for minutes, (event, expected) in enumerate(steps):
        await consumer.process(message(envelope(event, minutes=minutes), offset=minutes))
        assert await statuses(database, "o-1") == expected, type(event).__name__
    state = (await view(database, "o-1")).state
    assert (state.authorized, state.paid) == (0, TOTAL)
    assert await published(database) == [("OrderCreated", "o-1"), ("OrderCompleted", "o-1")]


async def test_facts_delivered_concurrently_all_apply_once(database: Database, consumer: EventConsumer):
    await consumer.process(message(envelope(checkout("o-1"), producer="cart", minutes=0)))
    facts = [
        authorized("o-1", "a", 6000),
        authorized("o-1", "b", 4000),
        captured("o-1", "a", 6000),
        captured("o-1", "b", 4000),
        refunded("o-1", "b", 1000, 1000),
    ]
    messages = [message(envelope(f), offset=n) for n, f in enumerate(facts)]
    await asyncio.gather(*(consumer.process(m) for m in messages + messages))
    assert (consumer.applied, consumer.duplicates) == (6, 5)
    assert await statuses(database, "o-1") == ("complete", "partially_refunded", "unfulfilled")
    assert await stream_version(database, "o-1") == 1 + len(facts) + 1  # every fact once, completed once
    assert [topic for topic, _ in await published(database)] == ["OrderCreated", "OrderCompleted"]


async def test_a_payment_that_can_never_apply_is_dead_lettered_and_changes_nothing(
    database: Database, consumer: EventConsumer, dead_letters: RecordedDeadLetters
):
    await consumer.process(message(envelope(checkout("o-1"), producer="cart", minutes=0)))
    euros = PaymentCaptured(
        order_id="o-1", transaction_id="t1", gateway="manual", amount=Money(amount=TOTAL, currency="EUR")
    )
    await consumer.process(message(envelope(euros)))
    assert consumer.dead_lettered == 1 and consumer.parked == 0
    [(dead, reason)] = dead_letters.messages
    assert dead.topic == "PaymentCaptured" and reason.startswith("Payment not applicable")
    assert await statuses(database, "o-1") == ("incomplete", "unpaid", "unfulfilled")
    assert await stream_version(database, "o-1") == 1


async def test_a_read_right_after_checkout_waits_for_the_order_instead_of_answering_404(
    database: Database, consumer: EventConsumer
):
    reading = asyncio.create_task(get_order_soon(database, "o-1", timeout=10))
    await asyncio.sleep(0.1)  # the client asked before the order service heard of the checkout
    assert not reading.done()
    await consumer.process(message(envelope(checkout("o-1"), producer="cart", minutes=0)))
    assert (await reading).state.status == "incomplete"
    with pytest.raises(OrderNotFound):
        await get_order_soon(database, "never-checked-out", timeout=0.2)


async def test_a_waiting_read_wakes_on_the_commit_of_its_order_not_on_a_poll(
    database: Database, consumer: EventConsumer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(reading, "FALLBACK_READ_SECONDS", 60.0)  # only the signal can wake it in time
    reads = 0
    read_order = reading.read_order

    async def counted(db: Database, order_id: str) -> OrderView:
        nonlocal reads
        reads += 1
        return await read_order(db, order_id)

    monkeypatch.setattr(reading, "read_order", counted)
    waiting = asyncio.create_task(get_order_soon(database, "o-1", timeout=30))
    await asyncio.sleep(0.2)
    assert not waiting.done() and reads == 1  # one look, then it sleeps on the order's stream

    async with database.unit_of_work() as uow:  # another order's commit does not wake it
        await place_order(uow, checkout("o-2"))
    await asyncio.sleep(0.05)
    assert not waiting.done() and reads == 1

    await consumer.process(message(envelope(checkout("o-1"), producer="cart", minutes=0)))
    view = await asyncio.wait_for(waiting, 5)
    assert view.snapshot.order_id == "o-1" and reads == 2


async def test_a_waiting_read_finds_an_order_another_instance_consumed(database: Database):
    """In scale-out the other instance of the group may consume the checkout: no signal reaches this
    process, and the slow fallback read finds the order all the same."""
    other = Database(database.dsn, producer="order")
    await other.open(max_size=2)
    try:
        waiting = asyncio.create_task(get_order_soon(database, "o-1", timeout=10))
        await asyncio.sleep(0.1)
        async with other.unit_of_work() as uow:
            await place_order(uow, checkout("o-1"))
        started = asyncio.get_running_loop().time()
        assert (await waiting).snapshot.order_id == "o-1"
        assert asyncio.get_running_loop().time() - started < reading.FALLBACK_READ_SECONDS + 2
    finally:
        await other.close()
