"""The session's single Kafka broker, through a real client."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.messaging.kafka_security import kafka_client_options


async def test_produce_and_consume(kafka_bootstrap_servers: str):
    topic = f"devstack-smoke-{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        **kafka_client_options(),
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"hello", key=b"order-1", headers=[("event_type", b"Smoke")])
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap_servers,
        group_id=f"devstack-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        **kafka_client_options(),
    )
    await consumer.start()
    try:
        message = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()
    assert (message.key, message.value) == (b"order-1", b"hello")
    assert dict(message.headers)["event_type"] == b"Smoke"
