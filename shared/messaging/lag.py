"""Consumer lag per consumer group, topic and partition, sampled from the broker (`consumer_lag`).

Lag is the partition's log end offset minus the group's committed offset (its beginning offset
while the group has committed nothing): the messages written but not yet applied. It is read
from the broker, not from the consumer, so a consumer stuck on one message (a locked table, a
database that is away) shows its lag growing while it waits; counting on consume would freeze the
gauge exactly then. One admin client and one group-less reader per service, every few seconds:
a handful of small requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.messaging.kafka_security import kafka_client_options
from shared.metrics import CONSUMER_LAG

log = logging.getLogger(__name__)

SAMPLE_INTERVAL_SECONDS = 5.0


async def _partitions(admin: AIOKafkaAdminClient, topics: Sequence[str]) -> list[TopicPartition]:
    described = await admin.describe_topics(list(topics))
    return [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        if not topic.get("error_code")
        for partition in topic["partitions"]
    ]


async def sample_lag(
    admin: AIOKafkaAdminClient, reader: AIOKafkaConsumer, groups: Mapping[str, Sequence[str]]
) -> dict[tuple[str, TopicPartition], int]:
    """Set `consumer_lag` for every partition of every group's topics; the values set."""
    partitions = await _partitions(admin, sorted({t for topics in groups.values() for t in topics}))
    if not partitions:
        return {}
    ends = await reader.end_offsets(partitions)
    beginnings = await reader.beginning_offsets(partitions)
    lags: dict[tuple[str, TopicPartition], int] = {}
    for group, topics in groups.items():
        committed = await admin.list_consumer_group_offsets(group)
        for tp in partitions:
            if tp.topic not in topics:
                continue
            done = committed.get(tp)
            position = done.offset if done is not None and done.offset >= 0 else beginnings[tp]
            lag = max(ends[tp] - position, 0)
            CONSUMER_LAG.labels(group, tp.topic, str(tp.partition)).set(lag)
            lags[(group, tp)] = lag
    return lags


async def watch_consumer_lag(
    bootstrap_servers: str,
    groups: Mapping[str, Sequence[str]],
    *,
    client_id: str = "lag-sampler",
    interval: float = SAMPLE_INTERVAL_SECONDS,
) -> None:
    """Sample `groups` (consumer group -> its topics) every `interval` seconds until cancelled.

    A failed sample (broker away) is logged and retried at the next interval; clients that could
    not start are started again then.
    """
    admin: AIOKafkaAdminClient | None = None
    reader: AIOKafkaConsumer | None = None
    try:
        while True:
            try:
                if admin is None:
                    new_admin = AIOKafkaAdminClient(
                        bootstrap_servers=bootstrap_servers, client_id=client_id, **kafka_client_options()
                    )
                    await new_admin.start()
                    admin = new_admin
                if reader is None:
                    new_reader = AIOKafkaConsumer(
                        bootstrap_servers=bootstrap_servers,
                        client_id=client_id,
                        group_id=None,
                        enable_auto_commit=False,
                        **kafka_client_options(),
                    )
                    await new_reader.start()
                    reader = new_reader
                await sample_lag(admin, reader, groups)
            except Exception as exc:
                log.warning("consumer lag not sampled: %s", exc)
            await asyncio.sleep(interval)
    finally:
        if reader is not None:
            with contextlib.suppress(Exception):
                await reader.stop()
        if admin is not None:
            with contextlib.suppress(Exception):
                await admin.close()
