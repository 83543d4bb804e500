"""Reading and writing real Kafka topics from tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import IntegrationEvent


async def wait_for_envelope(
    bootstrap_servers: str, topic: str, matches: Callable[[Envelope], bool], timeout: float = 30
) -> Envelope:
    """The first envelope on `topic` (from its beginning) that `matches`."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=None,
        enable_auto_commit=False,
    )
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


async def publish(bootstrap_servers: str, topic: str, envelope: Envelope, key: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, envelope.to_json(), key=key.encode(), headers=envelope.kafka_headers()
        )
    finally:
        await producer.stop()


async def publish_event(
    bootstrap_servers: str, prefix: str, event: IntegrationEvent, key: str, producer: str = "test"
) -> Envelope:
    """Play another service (or an outside system): publish `event` to its topic, keyed by `key`."""
    envelope = Envelope.of(event, aggregate_id=key, producer=producer, correlation_id=f"test-{producer}")
    await publish(bootstrap_servers, f"{prefix}{event.event_type}", envelope, key)
    return envelope
