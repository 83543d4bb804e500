"""`replay TOPIC --to SERVICE --from-offset N | --from-time T [--dry-run]`.

Feeds a topic's history through the service's own consumer code against its database, while the
service keeps running: the inbox makes every message it already applied a no-op, so the state ends
the same; anything it missed is applied once. `--dry-run` only counts what would be new.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from checkout_admin.config import StackConfig
from checkout_admin.connections import open_database, start_kafka
from checkout_admin.offsets import behind, partitions_of
from checkout_admin.progress import Progress
from checkout_admin.registry import SERVICES
from shared.contracts.envelope import Envelope
from shared.messaging.dead_letters import DeadLetterPublisher, FailedMessage, is_for
from shared.messaging.kafka import reliable_producer


@dataclass(frozen=True)
class ReplayReport:
    messages: int
    already_applied: int
    applied: int
    seconds: float


async def replay(
    config: StackConfig,
    topic: str,
    service: str,
    *,
    from_offset: int | None = None,
    from_time: datetime | None = None,
    dry_run: bool = False,
) -> ReplayReport:
    entry = SERVICES.get(service)
    if entry is None or not entry.available:
        raise SystemExit(f"unknown or unavailable service {service!r}; known: {', '.join(SERVICES)}")
    runtime = entry.build(config.database_url(service), config.kafka, config.topic_prefix)
    full_topic = topic if topic.startswith(config.topic_prefix) else config.topic_prefix + topic
    consumers = [c for c in runtime.consumers if full_topic in c.topics_with_prefix(config.topic_prefix)]
    if not consumers:
        raise SystemExit(f"{service} does not consume {full_topic}")
    async with AsyncExitStack() as opened:
        await open_database(config, service, runtime.database, max_size=4)
        opened.push_async_callback(runtime.database.close)
        producer = reliable_producer(config.kafka, client_id="checkout-admin-replay")
        await start_kafka(config, producer)
        opened.push_async_callback(producer.stop)
        reader = AIOKafkaConsumer(bootstrap_servers=config.kafka, group_id=None, enable_auto_commit=False)
        await start_kafka(config, reader)
        opened.push_async_callback(reader.stop)
        for consumer in consumers:
            publisher = DeadLetterPublisher(
                producer, consumer=consumer.name, topic_prefix=config.topic_prefix
            )
            consumer.bind(runtime.database, publisher, topic_prefix=config.topic_prefix)
        partitions = await partitions_of(config, full_topic)
        if not partitions:
            raise SystemExit(f"topic {full_topic} does not exist")
        reader.assign(partitions)
        await _seek(reader, partitions, from_offset, from_time)
        ends = await reader.end_offsets(partitions)
        total = sum([max(0, ends[tp] - await reader.position(tp)) for tp in partitions])
        progress = Progress(f"replaying {full_topic} into {service}", total)
        seen = already = 0
        while await behind(reader, ends):
            batch = await reader.getmany(timeout_ms=500)
            for tp, records in batch.items():
                for r in records:
                    if r.offset >= ends[tp]:
                        continue
                    seen += 1
                    if await _already_applied(runtime.database.pool, consumers[0].name, r.value):
                        already += 1
                    elif not dry_run:
                        message = FailedMessage(
                            tp.topic,
                            tp.partition,
                            r.offset,
                            r.key,
                            r.value,
                            tuple((k, bytes(v)) for k, v in (r.headers or ())),
                        )
                        for consumer in consumers:
                            if is_for(message, consumer.name):  # not another's dead-letter retry
                                await consumer.process(message)
                    progress.update(seen)
        seconds = progress.finish()
        return ReplayReport(seen, already, 0 if dry_run else seen - already, seconds)


async def _seek(
    reader: AIOKafkaConsumer, partitions: list[TopicPartition], offset: int | None, moment: datetime | None
) -> None:
    if moment is not None:
        found = await reader.offsets_for_times({tp: int(moment.timestamp() * 1000) for tp in partitions})
        ends = await reader.end_offsets(partitions)
        for tp in partitions:
            at = found.get(tp)
            reader.seek(tp, at.offset if at is not None else ends[tp])
        return
    for tp in partitions:
        reader.seek(tp, offset or 0)


async def _already_applied(pool: asyncpg.Pool, consumer: str, value: bytes) -> bool:
    try:
        envelope = Envelope.from_json(value)
    except ValueError:
        return False
    row = await pool.fetchval(
        "SELECT true FROM inbox WHERE consumer = $1 AND event_id = $2", consumer, envelope.event_id
    )
    return bool(row)
