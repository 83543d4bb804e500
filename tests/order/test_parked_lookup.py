"""The consumer looks for parked messages of a key after each message only while something may be
parked: the flag any park sets and only a sweep that finds nothing parked clears. Parked rows are per
consumer in the database, so a message parked by another instance of the service is found by the
periodic sweep, which turns the per-key lookup back on."""

from __future__ import annotations

from services.order.adapters.consumers import build_order_consumer
from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer import EventConsumer
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
