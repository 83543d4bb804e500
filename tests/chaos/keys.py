"""Per-order ordering rests on keys: every event of an order's life is keyed by the order id, so
one order's events on a topic share a partition and reach a consumer in the order they were
published. This reads whole topics back and checks the key of every message."""

from __future__ import annotations

import json
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.messaging.kafka_security import kafka_client_options

ORDER_TOPICS = (
    "CartCheckedOut",
    "OrderCreated",
    "StockAllocationRequested",
    "StockAllocated",
    "PaymentAuthorized",
    "PaymentCaptured",
    "OrderCompleted",
    "OrderFulfilmentRequested",
    "OrderShipped",
)


async def keys_that_are_not_the_order(bootstrap: str, prefix: str) -> tuple[int, list[str]]:
    """(messages read, descriptions of those whose key is not their `data.order_id`)."""
    partitions = await _partitions(bootstrap, [prefix + topic for topic in ORDER_TOPICS])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **kafka_client_options(),
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        read, wrong = 0, []
        deadline = time.monotonic() + 120
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            assert time.monotonic() < deadline, "could not read the topics to their end"
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    read += 1
                    order_id = json.loads(record.value)["data"]["order_id"]
                    if record.key != order_id.encode():
                        wrong.append(f"{record.topic}@{record.offset}: key {record.key!r}, order {order_id}")
        return read, wrong
    finally:
        await consumer.stop()


async def _partitions(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="chaos-inspector", **kafka_client_options()
    )
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
