"""A service's consumer subscribed as its runtime subscribes it, on FastStream's test broker: bound
to an in-memory database and a recorded dead-letter topic, fed envelopes as the outbox relay sends
them (the outbox writer's topic, key, payload and headers), with no Kafka and no PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from faststream.kafka import KafkaBroker, TestKafkaBroker

from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import IntegrationEvent, topic_for
from shared.contracts.ownership import usual_producer
from shared.eventstore.commit_signals import OutboxRow
from shared.eventstore.in_memory import InMemoryDatabase
from shared.messaging.consumer import EventConsumer
from shared.messaging.dead_letters import FailedMessage
from shared.messaging.in_memory_consumer_tables import InMemoryConsumerTables
from shared.outbox.writer import outbox_rows, stage_outbox
from tests.support.databases import RecordedDeadLetters


@dataclass
class Subscribed:
    """The test broker the consumer listens on, and what it dead-lettered."""

    broker: KafkaBroker
    dead_letters: RecordedDeadLetters

    async def publish(
        self, event: IntegrationEvent, *, key: str, producer: str | None = None, version: int = 1
    ) -> Envelope:
        """`event` in the envelope its owner (or `producer`) publishes, keyed by `key`, from version
        `version` of its aggregate, sent as the relay sends an outbox row; returns once the consumer
        has handled it."""
        envelope, row = relayed(event, key=key, producer=producer, version=version)
        await self.broker.publish(row.payload, topic=row.topic, key=row.key.encode(), headers=row.headers)
        return envelope

    async def publish_bytes(self, event_type: str, value: bytes, *, key: str = "k-1") -> None:
        """Any bytes on `event_type`'s topic (what no envelope decodes from, say)."""
        await self.broker.publish(value, topic=topic_for(event_type), key=key.encode())

    def reasons(self) -> list[str]:
        """Why each dead letter was written, in order."""
        return [reason for _, reason in self.dead_letters.messages]


def relayed(
    event: IntegrationEvent, *, key: str, producer: str | None = None, version: int = 1
) -> tuple[Envelope, OutboxRow]:
    """`event` in the envelope its owner (or `producer`) publishes, and the outbox row the relay
    sends for it."""
    envelope = Envelope.of(
        event,
        aggregate_id=key,
        aggregate_version=version,
        producer=producer or usual_producer(event.event_type) or "test",
        correlation_id=f"wiring-{event.event_type}",
    )
    (row,) = outbox_rows(stage_outbox([(key, envelope)]), [1])
    return envelope, row


def fetched(event: IntegrationEvent, *, key: str, offset: int) -> FailedMessage:
    """`event` as a consumer's fetch hands it over: its relayed row at `offset` of partition 0."""
    _, row = relayed(event, key=key)
    headers = tuple((name, value.encode()) for name, value in row.headers.items())
    return FailedMessage(row.topic, 0, offset, row.key.encode(), row.payload, headers)


def bound_in_memory(consumer: EventConsumer, database: InMemoryDatabase) -> RecordedDeadLetters:
    """`consumer` bound to `database` with in-memory consumer tables; its recorded dead letters."""
    dead_letters = RecordedDeadLetters()
    consumer.bind(database, dead_letters, tables=InMemoryConsumerTables(database))  # type: ignore[arg-type]
    return dead_letters


@asynccontextmanager
async def subscribed(consumer: EventConsumer, database: InMemoryDatabase) -> AsyncIterator[Subscribed]:
    """`consumer` bound and subscribed as `Runtime.start` does it, until the block ends."""
    dead_letters = bound_in_memory(consumer, database)
    broker = KafkaBroker(client_id=consumer.name, logger=None)
    consumer.subscribe(broker)
    try:
        async with TestKafkaBroker(broker) as test_broker:
            yield Subscribed(test_broker, dead_letters)
    finally:
        await consumer.offsets.close()


async def assert_dead_lettered_as_undecodable(
    consumer: EventConsumer, database: InMemoryDatabase, event_type: str, value: bytes
) -> None:
    """`value`, which no envelope decodes from, sent on `event_type`'s topic: dead-lettered as
    undecodable, once, and nothing written to the store."""
    before = len(database.store.log)
    async with subscribed(consumer, database) as kafka:
        await kafka.publish_bytes(event_type, value)
    assert [message.topic for message, _ in kafka.dead_letters.messages] == [event_type]
    assert kafka.reasons()[0].startswith("undecodable message")
    assert len(database.store.log) == before
