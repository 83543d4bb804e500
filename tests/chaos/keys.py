"""Per-order ordering rests on keys: every event of an order's life is keyed by the order id, so
one order's events on a topic share a partition and reach a consumer in the order they were
published. This reads whole topics back and checks the key of every message."""

from __future__ import annotations

import json

from aiokafka import AIOKafkaConsumer, TopicPartition

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
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        await consumer.topics()  # fetches the metadata that partitions_for_topic reads
        partitions = [
            TopicPartition(prefix + topic, p)
            for topic in ORDER_TOPICS
            for p in sorted(consumer.partitions_for_topic(prefix + topic) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        read, wrong = 0, []
        while any(await consumer.position(tp) < end for tp, end in ends.items()):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    read += 1
                    order_id = json.loads(record.value)["data"]["order_id"]
                    if record.key != order_id.encode():
                        wrong.append(f"{record.topic}@{record.offset}: key {record.key!r}, order {order_id}")
        return read, wrong
    finally:
        await consumer.stop()
