"""Garbage into every topic every service consumes: all of it ends in the DeadLetter topic with a
reason, none of it stops a partition (a valid event published after it, on the same key and so
the same partition, is still taken), and no service crashes."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError

from shared.contracts.envelope import Envelope
from shared.contracts.ownership import usual_producer
from shared.messaging.dead_letters import dead_letter_topic
from shared.messaging.kafka_security import kafka_client_options
from tests.security.conftest import client
from tests.security.consumed_topics import Subscription, subscriptions
from tests.security.fuzz_messages import OVER_THE_BROKER_LIMIT, bad_messages, valid_event

SUBSCRIPTIONS = subscriptions()
TOPICS = sorted({s.event_type for s in SUBSCRIPTIONS})
FUZZ_HEADER = "fuzz_id"
DEADLINE_SECONDS = 180


def _producer(bootstrap: str) -> AIOKafkaProducer:
    # Larger than the broker allows, so that the broker, not this client, is what refuses.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", max_request_size=4 * 1024 * 1024, **kafka_client_options()
    )


async def _dead_letters(
    bootstrap: str, prefix: str, wanted: set[tuple[str, str]]
) -> dict[tuple[str, str], Any]:
    """(fuzz id, consumer) -> its dead letter, once every wanted pair arrived (or the deadline passed)."""
    consumer = AIOKafkaConsumer(
        dead_letter_topic(prefix),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
        **kafka_client_options(),
    )
    await consumer.start()
    found: dict[tuple[str, str], Any] = {}
    try:
        deadline = asyncio.get_running_loop().time() + DEADLINE_SECONDS
        while not wanted <= set(found) and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    headers = {k: v.decode(errors="replace") for k, v in record.headers}
                    if FUZZ_HEADER in headers:
                        found[(headers[FUZZ_HEADER], headers.get("dlq.consumer", ""))] = (
                            headers,
                            record.value,
                        )
    finally:
        await consumer.stop()
    return found


@pytest.fixture(scope="module")
async def fuzzed(services, kafka_bootstrap_servers, topic_prefix) -> dict[str, Any]:
    """Publish the garbage, then one valid event per topic behind it on the same key."""
    sent: list[tuple[str, str, str, bytes]] = []  # (fuzz id, topic, kind, value)
    valid: dict[str, Envelope] = {}
    producer = _producer(kafka_bootstrap_servers)
    await producer.start()
    try:
        for event_type in TOPICS:
            key = str(uuid4())
            topic = f"{topic_prefix}{event_type}"
            for kind, value in bad_messages(event_type, key).items():
                fuzz_id = uuid4().hex
                await producer.send_and_wait(
                    topic, value, key=key.encode(), headers=[(FUZZ_HEADER, fuzz_id.encode())]
                )
                sent.append((fuzz_id, event_type, kind, value))
            envelope = Envelope.of(
                valid_event(event_type, key),
                aggregate_id=key,
                producer=usual_producer(event_type) or "fuzz",
                correlation_id="fuzz",
            )
            await producer.send_and_wait(
                topic, envelope.to_json(), key=key.encode(), headers=envelope.kafka_headers()
            )
            valid[event_type] = envelope
    finally:
        await producer.stop()
    consumers = defaultdict(list)
    for subscription in SUBSCRIPTIONS:
        consumers[subscription.event_type].append(subscription.consumer)
    wanted = {(fuzz_id, consumer) for fuzz_id, topic, _, _ in sent for consumer in consumers[topic]}
    letters = await _dead_letters(kafka_bootstrap_servers, topic_prefix, wanted)
    return {"sent": sent, "valid": valid, "wanted": wanted, "letters": letters}


def test_every_bad_message_is_dead_lettered_by_every_consumer_with_a_reason(fuzzed, topic_prefix):
    sent = {fuzz_id: (topic, kind, value) for fuzz_id, topic, kind, value in fuzzed["sent"]}
    missing = sorted(
        f"{sent[f][0]} / {sent[f][1]} / consumer {c}" for f, c in fuzzed["wanted"] - set(fuzzed["letters"])
    )
    assert not missing, f"{len(missing)} bad messages were not dead-lettered:\n" + "\n".join(missing)
    for (fuzz_id, consumer), (headers, value) in fuzzed["letters"].items():
        topic, kind, original = sent[fuzz_id]
        assert headers["dlq.reason"].strip(), (topic, kind, consumer)
        assert headers["dlq.original_topic"] == f"{topic_prefix}{topic}", (topic, kind)
        if "dlq.value_omitted" in headers:  # too big to re-publish with the dlq.* headers added
            assert headers["dlq.value_omitted"] == str(len(original)) and value in (None, b""), (topic, kind)
            assert len(original) > 1_000_000, f"{topic} / {kind}: a small message lost its value"
        else:
            assert (value or b"") == original, f"{topic} / {kind}: the dead letter lost the original bytes"


async def test_a_valid_event_behind_the_garbage_is_still_taken(fuzzed, services):
    """Applied (inbox row), or parked because the order it is about does not exist (by design)."""
    not_taken = []
    for subscription in SUBSCRIPTIONS:
        envelope = fuzzed["valid"][subscription.event_type]
        if not await _taken(services[subscription.service].env["DATABASE_URL"], subscription, envelope):
            not_taken.append(f"{subscription.consumer} did not take {subscription.event_type}")
    assert not not_taken, not_taken


async def _taken(dsn: str, subscription: Subscription, envelope: Envelope) -> bool:
    conn = await asyncpg.connect(dsn)
    try:
        for _ in range(300):
            row = await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2)"
                " OR EXISTS (SELECT 1 FROM parked_messages WHERE consumer = $1 AND event_id = $2)",
                subscription.consumer,
                envelope.event_id,
            )
            if row:
                return True
            await asyncio.sleep(0.2)
        return False
    finally:
        await conn.close()


async def test_a_product_published_behind_the_garbage_reaches_the_cart(fuzzed, services, shopper_token):
    product_id = fuzzed["valid"]["ProductPublished"].data["product_id"]
    async with client(services["cart"], shopper_token) as cart:
        for _ in range(150):
            response = await cart.get(f"/v2/products/{product_id}")
            if response.status_code == 200:
                break
            await asyncio.sleep(0.2)
    assert response.status_code == 200, response.text


async def test_no_service_crashed(fuzzed, services):
    for name, service in services.items():
        assert service.process.is_running(), f"{name} exited"
        async with client(service) as probe:
            assert (await probe.get("/ready")).status_code == 200, name


async def test_a_message_over_the_broker_limit_is_refused_by_kafka_itself(
    kafka_bootstrap_servers, topic_prefix
):
    producer = _producer(kafka_bootstrap_servers)
    await producer.start()
    try:
        with pytest.raises(MessageSizeTooLargeError):
            await producer.send_and_wait(
                f"{topic_prefix}OrderShipped", b"x" * OVER_THE_BROKER_LIMIT, key=b"k"
            )
    finally:
        await producer.stop()
