"""The consumer looks for parked messages of a key after each message only for a key that may have
some: until its first sweep every key may (another instance may have parked before a rebalance);
after it, the keys it parked since and the keys a sweep found. Parked rows are per consumer in the
database, so a message parked by another instance of the service is found by the periodic sweep,
which turns the lookup for its key back on."""

from __future__ import annotations

import pytest

from services.order.adapters.consumers import build_order_consumer
from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer import EventConsumer
from shared.messaging.dead_letters import FailedMessage
from tests.order.builders import authorized, checkout, envelope, message, shipped
from tests.order.reads import parked, statuses
from tests.support.databases import RecordedDeadLetters


def _instance(database: Database, dead_letters: RecordedDeadLetters) -> EventConsumer:
    consumer = build_order_consumer()
    consumer.bind(database, dead_letters)  # type: ignore[arg-type]
    return consumer


async def test_a_message_parked_by_another_instance_is_applied_by_the_sweep(
    database: Database, dead_letters: RecordedDeadLetters
):
    first, second = _instance(database, dead_letters), _instance(database, dead_letters)
    assert await second.retry_parked() == 0  # its sweep found nothing: no lookup after each message
    await first.process(message(envelope(authorized("o-1", "t1"))))  # before the order: parked
    assert await parked(database) == 1

    await second.process(message(envelope(checkout("o-1"), producer="cart", minutes=0), offset=1))
    assert await statuses(database, "o-1") == ("incomplete", "unpaid", "unfulfilled")  # waits for a sweep
    assert await parked(database) == 1

    assert await second.retry_parked() == 1  # the sweep applies it
    assert await statuses(database, "o-1") == ("processing", "authorized", "unfulfilled")
    assert await parked(database) == 0


async def test_a_consumer_that_parked_retries_the_key_after_its_next_message(
    database: Database, dead_letters: RecordedDeadLetters
):
    consumer = _instance(database, dead_letters)
    assert await consumer.retry_parked() == 0
    await consumer.process(message(envelope(shipped("o-2"), producer="fulfillment")))
    assert await parked(database) == 1
    await consumer.process(message(envelope(checkout("o-2"), producer="cart", minutes=0), offset=1))
    assert await parked(database) == 0  # no sweep ran: the same-key lookup applied it
    assert (await statuses(database, "o-2"))[2] == "fulfilled"


async def test_a_parked_key_leaves_other_keys_batched_and_unlooked_for(
    database: Database, dead_letters: RecordedDeadLetters, monkeypatch: pytest.MonkeyPatch
):
    consumer = _instance(database, dead_letters)
    assert await consumer.retry_parked() == 0
    await consumer.process(message(envelope(shipped("o-3"), producer="fulfillment")))
    assert await parked(database) == 1

    looked_for: list[str | None] = []
    one_at_a_time: list[object] = []
    real_retry, real_process = consumer.retry_parked, consumer.process

    async def retry(key: str | None = None) -> int:
        looked_for.append(key)
        return await real_retry(key)

    async def process(msg: FailedMessage) -> None:
        one_at_a_time.append(msg)
        await real_process(msg)

    monkeypatch.setattr(consumer, "retry_parked", retry)
    monkeypatch.setattr(consumer, "process", process)
    batch = [
        message(envelope(checkout("o-4"), producer="cart", minutes=0), offset=1),
        message(envelope(checkout("o-5"), producer="cart", minutes=0), offset=2),
    ]
    await consumer.process_batch(batch)
    assert (await statuses(database, "o-4"))[0] == "incomplete"
    assert (await statuses(database, "o-5"))[0] == "incomplete"
    assert looked_for == [] and one_at_a_time == []  # one transaction, no lookup

    placed = message(envelope(checkout("o-3"), producer="cart", minutes=0), offset=3)
    await consumer.process_batch([placed, *batch[:1]])
    # A parked key: one at a time; o-3's lookup applies its parked message and forgets the key.
    assert looked_for == ["o-3"] and len(one_at_a_time) == 2
    assert (await statuses(database, "o-3"))[2] == "fulfilled" and await parked(database) == 0
    await consumer.process(placed)  # a redelivery of o-3's message: the key is no longer looked for
    assert looked_for == ["o-3"]
