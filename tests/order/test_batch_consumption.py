"""A fetched batch of messages is applied in one transaction, and falls back to one message at a
time when anything in it cannot be applied together (the kernel's `EventConsumer.process_batch`,
exercised through the order service's real consumer on real PostgreSQL)."""

from __future__ import annotations

from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer import EventConsumer
from shared.messaging.dead_letters import FailedMessage
from tests.order.builders import captured, checkout, envelope, message
from tests.order.reads import parked, published, statuses, stream_version
from tests.support.databases import RecordedDeadLetters


async def _writing_transactions(database: Database) -> int:
    """How many transactions appended events (every event records its transaction's id)."""
    return int(await database.pool.fetchval("SELECT count(DISTINCT transaction_id) FROM events"))


async def _settled(consumer: EventConsumer) -> EventConsumer:
    """A consumer whose sweep found nothing parked: batches then go through in one transaction."""
    await consumer.retry_parked()
    return consumer


async def test_a_batch_of_checkouts_commits_in_one_transaction(database: Database, consumer: EventConsumer):
    await _settled(consumer)
    batch = [message(envelope(checkout(f"o-{n}"), producer="cart", minutes=0), offset=n) for n in range(3)]

    await consumer.process_batch(batch)

    assert consumer.applied == 3
    assert await _writing_transactions(database) == 1
    assert sorted(await published(database)) == [("OrderCreated", f"o-{n}") for n in range(3)]
    for n in range(3):
        assert await statuses(database, f"o-{n}") == ("incomplete", "unpaid", "unfulfilled")


async def test_two_facts_about_one_order_in_a_batch_fold_in_order_each_under_its_own_correlation(
    database: Database, consumer: EventConsumer
):
    await _settled(consumer)
    placed, paid = envelope(checkout("o-1"), producer="cart", minutes=0), envelope(captured("o-1", "t1"))

    await consumer.process_batch([message(placed), message(paid, offset=1)])

    assert await statuses(database, "o-1") == ("complete", "paid", "unfulfilled")
    assert await _writing_transactions(database) == 1
    correlations = {
        row["event_type"]: row["correlation"]
        for row in await database.pool.fetch(
            "SELECT event_type, metadata->>'correlation_id' AS correlation FROM events ORDER BY version"
        )
    }
    assert correlations["OrderPlaced"] == placed.correlation_id
    assert {c for t, c in correlations.items() if t != "OrderPlaced"} == {paid.correlation_id}


async def test_a_redelivered_message_in_a_batch_is_skipped_and_the_rest_applied(
    database: Database, consumer: EventConsumer
):
    first = envelope(checkout("o-1"), producer="cart", minutes=0)
    await consumer.process(message(first))
    await _settled(consumer)

    second = envelope(checkout("o-2"), producer="cart", minutes=0)
    await consumer.process_batch([message(first), message(second, offset=1), message(second, offset=1)])

    assert (consumer.applied, consumer.duplicates) == (2, 2)
    assert await stream_version(database, "o-1") == 1
    assert await stream_version(database, "o-2") == 1


async def test_a_message_that_must_wait_falls_back_to_one_at_a_time_and_only_it_is_parked(
    database: Database, consumer: EventConsumer
):
    await _settled(consumer)
    early = envelope(captured("o-9", "t9"))  # paid before its order exists: parked
    batch = [
        message(envelope(checkout("o-1"), producer="cart", minutes=0)),
        message(early, offset=1),
        message(envelope(checkout("o-2"), producer="cart", minutes=0), offset=2),
    ]

    await consumer.process_batch(batch)

    assert consumer.applied == 2 and consumer.parked == 1
    assert await parked(database) == 1
    assert await _writing_transactions(database) == 2  # one message at a time
    await consumer.process(message(envelope(checkout("o-9"), producer="cart", minutes=0), offset=3))
    assert await statuses(database, "o-9") == ("complete", "paid", "unfulfilled")


async def test_an_undecodable_message_in_a_batch_is_dead_lettered_alone(
    database: Database, consumer: EventConsumer, dead_letters: RecordedDeadLetters
):
    await _settled(consumer)
    poison = FailedMessage("CartCheckedOut", 0, 7, b"o-x", b"{not json", ())
    batch = [poison, message(envelope(checkout("o-1"), producer="cart", minutes=0), offset=8)]

    await consumer.process_batch(batch)

    assert [m.offset for m, _ in dead_letters.messages] == [7]
    assert "undecodable" in dead_letters.messages[0][1]
    assert consumer.applied == 1
    assert await statuses(database, "o-1") == ("incomplete", "unpaid", "unfulfilled")
