"""Every request a service's Kafka clients send is counted by API (`kafka_requests_total`), which is
how `make bench` tells what a checkout costs in Kafka requests: here a real broker gets produces and
fetches, and the counter grows by what was sent."""

from __future__ import annotations

from uuid import uuid4

from aiokafka import AIOKafkaConsumer
from prometheus_client import REGISTRY

from shared.messaging.kafka import reliable_producer
from shared.messaging.kafka_security import kafka_client_options


def _sent(api: str) -> float:
    return REGISTRY.get_sample_value("kafka_requests_total", {"api": api}) or 0.0


async def test_produces_and_fetches_are_counted_as_they_are_sent(kafka_bootstrap_servers: str) -> None:
    topic = f"request-count-{uuid4().hex[:8]}"
    producer = reliable_producer(kafka_bootstrap_servers, client_id="request-count-test")
    await producer.start()
    try:
        produced_before = _sent("Produce")
        for n in range(3):  # each awaited before the next: three produce requests
            await (await producer.send(topic, value=f"{n}".encode(), key=b"k"))
        assert _sent("Produce") - produced_before == 3
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **kafka_client_options(),
    )
    fetched_before = _sent("Fetch")
    await consumer.start()
    try:
        received = 0
        while received < 3:
            batches = await consumer.getmany(timeout_ms=10_000)
            assert batches, "no record within 10 s"
            received += sum(len(records) for records in batches.values())
    finally:
        await consumer.stop()
    assert _sent("Fetch") - fetched_before >= 1
