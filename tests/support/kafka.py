"""Reading and writing real Kafka topics from tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from checkout_platform.contracts.example_producer import publish_to as publish  # the tests' publish
from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import IntegrationEvent
from shared.contracts.ownership import usual_producer
from shared.messaging.kafka_security import kafka_client_options


def _reader(bootstrap_servers: str, *topics: str) -> AIOKafkaConsumer:
    """A reader of whole topics from their beginning, in no group and committing nothing."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=None,
        enable_auto_commit=False,
        **kafka_client_options(),
    )


async def wait_for_envelope(
    bootstrap_servers: str, topic: str, matches: Callable[[Envelope], bool], timeout: float = 30
) -> Envelope:
    """The first envelope on `topic` (from its beginning) that `matches`."""
    consumer = _reader(bootstrap_servers, topic)
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    envelope = Envelope.from_json(record.value)
                    if matches(envelope):
                        return envelope
        raise AssertionError(f"no matching message on {topic} within {timeout}s")
    finally:
        await consumer.stop()


async def envelopes_up_to_now(bootstrap_servers: str, topic: str, timeout: float = 60) -> list[Envelope]:
    """Every envelope on `topic` from its beginning up to its end as of now."""
    return [
        Envelope.from_json(r.value)
        for r in await records_up_to_now(bootstrap_servers, topic, timeout=timeout)
    ]


async def records_up_to_now(
    bootstrap_servers: str, *topics: str, timeout: float = 60
) -> list[ConsumerRecord]:
    """Every record of `topics` from their beginning up to their end as of now.

    One `getmany` of a fresh reader returns what happened to be fetched in time, perhaps nothing or
    only some partitions on a busy machine; counting messages needs all of them, up to the end.
    Counting that something did not happen needs the end to be past it: see `tests.support.settling`.
    """
    consumer = _reader(bootstrap_servers, *topics)
    await consumer.start()
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not consumer.assignment():
            assert loop.time() < deadline, f"{topics} got no partitions within {timeout}s"
            await asyncio.sleep(0.1)
        ends = await consumer.end_offsets(list(consumer.assignment()))
        records: list[ConsumerRecord] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            assert loop.time() < deadline, f"{topics} not read to their end within {timeout}s"
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records += [r for r in batch if r.offset < ends[TopicPartition(r.topic, r.partition)]]
        return records
    finally:
        await consumer.stop()


async def publish_event(
    bootstrap_servers: str, prefix: str, event: IntegrationEvent, key: str, producer: str | None = None
) -> Envelope:
    """Play another service (or an outside system): publish `event` to its topic, keyed by `key`, as
    the topic's owner (unless a test names another producer)."""
    producer = producer or usual_producer(event.event_type) or "test"
    envelope = Envelope.of(event, aggregate_id=key, producer=producer, correlation_id=f"test-{producer}")
    await publish(bootstrap_servers, f"{prefix}{event.event_type}", envelope, key)
    return envelope
