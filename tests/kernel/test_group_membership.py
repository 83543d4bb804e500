"""`group_membership` reads aiokafka's coordinator state, which is not public API: against a real
broker, a consumer is not settled before it joins, settled with a generation once it has its
partitions, and stopped after `stop()`. An aiokafka upgrade that renames what it reads fails here."""

from __future__ import annotations

from uuid import uuid4

from aiokafka import AIOKafkaConsumer

from shared.messaging.admin import ensure_topics
from shared.messaging.group_membership import NO_GENERATION, generation, settled, stopped
from shared.messaging.kafka_security import kafka_client_options
from tests.support.polling import poll_until


async def test_a_real_consumer_is_settled_once_it_has_its_partitions(
    kafka_bootstrap_servers: str, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}membership"
    await ensure_topics(kafka_bootstrap_servers, [topic])
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap_servers,
        group_id=f"{topic_prefix}membership-{uuid4().hex[:6]}",
        **kafka_client_options(),
    )
    assert not settled(consumer) and generation(consumer) == NO_GENERATION
    await consumer.start()
    try:
        assert await poll_until(lambda: settled(consumer), bool), "never settled in its group"
        assert generation(consumer) >= 1
        assert len(consumer.assignment()) == 3
        assert not stopped(consumer)
    finally:
        await consumer.stop()
    assert stopped(consumer)
