"""Proof that services have processed past a point, before a test counts what did not happen.

A check that something happened once, or not at all, is worth something only once everything the
actions before it could still cause has happened: an outbox row relayed later, a message its
consumer has not reached yet, and what that consumer publishes in turn. A sleep guesses how long
that takes, and on a busy 2-core machine guesses short, so a late duplicate goes unseen.
`settled` waits for positive markers instead, then the caller counts:

1. every given outbox is empty: each integration event committed so far has been acknowledged by
   Kafka (the relay deletes a row only then);
2. each given consumer group's committed offset has reached the end offset, taken after step 1, of
   every partition it reads: a consumer commits an offset only once its message's unit of work
   (effects, inbox row, outbox rows) has committed;
3. step 1 again, for what those consumers published; then the end offsets are taken again, and a
   round that finds new messages on the groups' topics (one consumer's output is another's
   input) goes round once more.

After that, a reader that reads a topic up to its end (`tests.support.kafka.records_up_to_now`)
sees everything the earlier actions caused. A message parked because its order is not known yet
counts as processed: its later retry is not waited for.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from checkout_admin.registry import SERVICES
from shared.messaging.kafka_security import kafka_client_options
from tests.support.polling import DEADLINE_SECONDS, poll_until
from tests.support.services import RunningService

Offsets = dict[TopicPartition, int]


def consumer_groups(service: str, topic_prefix: str) -> dict[str, list[str]]:
    """The consumer groups of one of the platform's services (`cart`, `order`, ...) and their topics."""
    runtime = SERVICES[service].build("postgresql://unused/x", "unused:9092", topic_prefix)
    return {f"{topic_prefix}{c.name}": list(c.topics_with_prefix(topic_prefix)) for c in runtime.consumers}


async def services_settled(
    bootstrap_servers: str,
    topic_prefix: str,
    services: Iterable[RunningService],
    *,
    timeout: float = DEADLINE_SECONDS,
) -> None:
    """`settled` for running services of the platform: their outboxes and their consumer groups."""
    chosen = list(services)
    groups: dict[str, list[str]] = {}
    for service in chosen:
        groups |= consumer_groups(service.name.rsplit(".", 1)[-1], topic_prefix)
    outboxes = [service.env["DATABASE_URL"] for service in chosen]
    await settled(bootstrap_servers, outboxes=outboxes, groups=groups, timeout=timeout)


async def settled(
    bootstrap_servers: str,
    *,
    outboxes: Sequence[str],
    groups: Mapping[str, Sequence[str]],
    timeout: float = DEADLINE_SECONDS,
) -> None:
    """Wait until the outboxes (database URLs) are relayed and the consumer groups (group -> its
    topics) have committed past everything on their topics; fails after `timeout` seconds."""
    topics = sorted({t for group_topics in groups.values() for t in group_topics})
    async with _offset_readers(bootstrap_servers) as (admin, reader):
        seen: Offsets | None = None
        while True:
            await _outboxes_relayed(outboxes, timeout)
            ends = await _end_offsets(admin, reader, topics)
            if ends == seen:
                return
            seen = ends
            await _groups_reach(admin, groups, ends, timeout)


async def end_offsets(bootstrap_servers: str, topics: Sequence[str]) -> Offsets:
    """The end offset of every partition of `topics` now (a topic not created yet has none)."""
    async with _offset_readers(bootstrap_servers) as (admin, reader):
        return await _end_offsets(admin, reader, topics)


@asynccontextmanager
async def _offset_readers(
    bootstrap_servers: str,
) -> AsyncIterator[tuple[AIOKafkaAdminClient, AIOKafkaConsumer]]:
    """An admin client (topics, group offsets) and a consumer in no group (end offsets), started."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **kafka_client_options())
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False, **kafka_client_options()
    )
    await admin.start()
    await reader.start()
    try:
        yield admin, reader
    finally:
        await reader.stop()
        await admin.close()


async def _end_offsets(
    admin: AIOKafkaAdminClient, reader: AIOKafkaConsumer, topics: Sequence[str]
) -> Offsets:
    if not topics:
        return {}
    described = await admin.describe_topics(list(topics))
    partitions = [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        if not topic.get("error_code")
        for partition in topic["partitions"]
    ]
    if not partitions:
        return {}
    return dict(await reader.end_offsets(partitions))


async def _outboxes_relayed(dsns: Sequence[str], timeout: float) -> None:
    async def left() -> dict[str, int]:
        counts = {}
        for dsn in dsns:
            conn = await asyncpg.connect(dsn)
            try:
                counts[dsn] = int(await conn.fetchval("SELECT count(*) FROM outbox"))
            finally:
                await conn.close()
        return counts

    rows = await poll_until(left, lambda counts: not any(counts.values()), timeout=timeout)
    assert not any(rows.values()), f"outbox rows not relayed within {timeout:.0f} s: {rows}"


async def _groups_reach(
    admin: AIOKafkaAdminClient, groups: Mapping[str, Sequence[str]], ends: Offsets, timeout: float
) -> None:
    async def behind() -> dict[str, dict[str, int]]:
        lagging: dict[str, dict[str, int]] = {}
        for group, group_topics in groups.items():
            committed = await admin.list_consumer_group_offsets(group)
            for tp, end in ends.items():
                done = committed.get(tp)
                position = done.offset if done is not None and done.offset >= 0 else 0
                if tp.topic in group_topics and position < end:
                    lagging.setdefault(group, {})[f"{tp.topic}:{tp.partition}"] = end - position
        return lagging

    lagging = await poll_until(behind, lambda found: not found, timeout=timeout)
    assert not lagging, f"consumer groups not past the end within {timeout:.0f} s: {lagging}"
