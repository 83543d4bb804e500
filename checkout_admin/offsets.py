"""Reading a topic up to the end it had when we started."""

from __future__ import annotations

from collections.abc import Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from checkout_admin.config import StackConfig
from checkout_admin.connections import start_kafka
from shared.messaging.kafka_security import kafka_client_options


async def behind(consumer: AIOKafkaConsumer, ends: Mapping[TopicPartition, int]) -> bool:
    """True while some assigned partition has not reached its end offset."""
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


async def partitions_of(config: StackConfig, topic: str) -> list[TopicPartition]:
    """The topic's partitions, asked of the cluster (a plain consumer only knows subscribed topics)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=config.kafka, client_id="checkout-admin", **kafka_client_options()
    )
    await start_kafka(config, admin)
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    found = [d for d in described if d.get("topic") == topic and not d.get("error_code")]
    if not found:
        return []
    return [
        TopicPartition(topic, p["partition"])
        for p in sorted(found[0]["partitions"], key=lambda p: p["partition"])
    ]
