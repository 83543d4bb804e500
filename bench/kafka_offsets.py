"""Kafka messages produced, as the broker counts them: the sum of every topic's end offsets.

The stack's producers are idempotent but not transactional, so no control records take offsets:
the growth of the end offsets over a window is the number of messages written in it, whoever wrote
them (the outbox relays, the dead-letter publishers). Only the stack's topics count (its prefix,
never Kafka's internal ``__consumer_offsets``).
"""

from __future__ import annotations

from aiokafka import TopicPartition

from bench.kafka_clients import OffsetClients


class KafkaOffsets(OffsetClients):
    """The admin API lists the partitions; a group-less consumer asks their end offsets (it never
    fetches a message)."""

    def __init__(self, bootstrap_servers: str, topic_prefix: str) -> None:
        super().__init__(bootstrap_servers, "bench-offsets")
        self._prefix = topic_prefix

    async def total(self) -> int:
        """Messages ever written to the stack's topics (topics created meanwhile included)."""
        partitions = [
            TopicPartition(str(topic["topic"]), int(p["partition"]))
            for topic in await self._admin.describe_topics()
            if str(topic["topic"]).startswith(self._prefix) and not str(topic["topic"]).startswith("__")
            for p in topic["partitions"]
        ]
        if not partitions:
            return 0
        ends = await self._consumer.end_offsets(partitions)
        return sum(int(offset) for offset in ends.values())
