"""`replay [TOPIC...] --to SERVICE --from-offset N | --from-time T [--dry-run]`, and the machinery every
replay shares (`replay --order` in `order_replay` too): a service's consumers run outside it, and
a topic read up to the end it had when the replay began.

Feeds a topic's history through the service's own consumer code against its database, while the
service keeps running: the inbox makes every message it already applied a no-op, so the state ends
the same; anything it missed is applied once. `--dry-run` only counts what would be new.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from checkout_admin.config import StackConfig
from checkout_admin.connections import open_database, start_kafka
from checkout_admin.offsets import behind, partitions_of
from checkout_admin.progress import Progress
from checkout_admin.registry import SERVICES
from shared.contracts.envelope import Envelope
from shared.messaging.consumer import EventConsumer
from shared.messaging.consumer_tables import ConsumerTables
from shared.messaging.dead_letters import DeadLetterPublisher, FailedMessage, is_for
from shared.messaging.kafka import reliable_producer
from shared.messaging.kafka_security import kafka_client_options
from shared.messaging.postgres_consumer_tables import PostgresConsumerTables


@dataclass(frozen=True)
class ReplayReport:
    messages: int
    already_applied: int
    applied: int
    seconds: float


class Outcome(Enum):
    """What feeding one message did (or, in a dry run, would do)."""

    ALREADY_APPLIED = "already applied"
    APPLIED = "applied"
    NEW = "new"
    """Not in the inbox, and not applied: a dry run, or the consumer parked or dead-lettered it."""


def full_topic(topic: str, topic_prefix: str) -> str:
    return topic if topic.startswith(topic_prefix) else topic_prefix + topic


class ServiceFeed:
    """A service's consumers bound to its database, outside the service: a message fed here is
    applied by the code the service runs, with its inbox, parking and dead letters."""

    def __init__(
        self,
        service: str,
        tables: ConsumerTables,
        consumers: Sequence[EventConsumer],
        topics: Sequence[str],
    ) -> None:
        self.service = service
        self._tables = tables
        self._consumers = list(consumers)
        self.topics = list(topics)
        """The topics (full names) fed here."""

    def consumers_of(self, topic: str) -> list[EventConsumer]:
        return [c for c in self._consumers if topic in c.topics]

    async def feed(self, message: FailedMessage, *, dry_run: bool) -> Outcome:
        consumers = self.consumers_of(message.topic)
        if await _already_applied(self._tables, consumers[0].name, message.value):
            return Outcome.ALREADY_APPLIED
        if dry_run:
            return Outcome.NEW
        before = sum(c.applied for c in consumers)
        for consumer in consumers:
            if is_for(message, consumer.name):  # not another's dead-letter retry
                await consumer.process(message)
        return Outcome.APPLIED if sum(c.applied for c in consumers) > before else Outcome.NEW


@asynccontextmanager
async def service_feed(
    config: StackConfig, service: str, topics: Sequence[str] | None = None
) -> AsyncIterator[ServiceFeed]:
    """`service`'s consumers of `topics` (full names; None: every topic it consumes), bound to its
    database and a dead-letter publisher; refused when the service is unknown or does not consume
    one of the topics."""
    entry = SERVICES.get(service)
    if entry is None:
        raise SystemExit(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
    runtime = entry.build(config.database_url(service), config.kafka, config.topic_prefix)
    consumed = sorted({t for c in runtime.consumers for t in c.topics_with_prefix(config.topic_prefix)})
    chosen = consumed if topics is None else list(dict.fromkeys(topics))
    for topic in chosen:
        if topic not in consumed:
            raise SystemExit(f"{service} does not consume {topic}; it consumes {', '.join(consumed)}")
    consumers = [c for c in runtime.consumers if set(chosen) & set(c.topics_with_prefix(config.topic_prefix))]
    tables = PostgresConsumerTables(runtime.database)  # the consumers' and the feed's inbox look
    async with AsyncExitStack() as opened:
        await open_database(config, service, runtime.database, max_size=4)
        opened.push_async_callback(runtime.database.close)
        producer = reliable_producer(config.kafka, client_id="checkout-admin-replay")
        await start_kafka(config, producer)
        opened.push_async_callback(producer.stop)
        for consumer in consumers:
            publisher = DeadLetterPublisher(
                producer, consumer=consumer.name, topic_prefix=config.topic_prefix
            )
            consumer.bind(runtime.database, publisher, topic_prefix=config.topic_prefix, tables=tables)
        yield ServiceFeed(service, tables, consumers, chosen)


class TopicHistory:
    """Topics' partitions read from a start up to the end offsets they had when reading began."""

    def __init__(self, reader: AIOKafkaConsumer, ends: dict[TopicPartition, int], total: int) -> None:
        self._reader = reader
        self._ends = ends
        self.total = total
        """How many messages lie between the start and the ends."""

    async def records(self) -> AsyncIterator[ConsumerRecord[bytes, bytes]]:
        """Every record up to the ends; in offset order within each partition."""
        while await behind(self._reader, self._ends):
            batch = await self._reader.getmany(timeout_ms=500)
            for tp, records in batch.items():
                for r in records:
                    if r.offset < self._ends[tp]:
                        yield r


def as_message(record: ConsumerRecord[bytes, bytes]) -> FailedMessage:
    """A Kafka record as the consumers take it."""
    return FailedMessage(
        record.topic,
        record.partition,
        record.offset,
        record.key,
        record.value,
        tuple((k, bytes(v)) for k, v in (record.headers or ())),
    )


@asynccontextmanager
async def topic_history(
    config: StackConfig,
    topics: Sequence[str],
    *,
    from_offset: int | None = None,
    from_time: datetime | None = None,
    skip_missing: bool = False,
) -> AsyncIterator[TopicHistory]:
    """A reader of `topics` (full names) from an offset, a time, or (neither) the first message
    Kafka still holds; a topic that does not exist is refused, or read as empty with `skip_missing`."""
    partitions: list[TopicPartition] = []
    for topic in topics:
        found = await partitions_of(config, topic)
        if not found and not skip_missing:
            raise SystemExit(f"topic {topic} does not exist")
        partitions += found
    reader = AIOKafkaConsumer(
        bootstrap_servers=config.kafka,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",  # an offset retention dropped: from the first still held
        **kafka_client_options(),
    )
    await start_kafka(config, reader)
    try:
        reader.assign(partitions)
        await _seek(reader, partitions, from_offset, from_time)
        ends = await reader.end_offsets(partitions)
        total = sum([max(0, ends[tp] - await reader.position(tp)) for tp in partitions])
        yield TopicHistory(reader, ends, total)
    finally:
        await reader.stop()


async def replay(
    config: StackConfig,
    topics: Sequence[str],
    service: str,
    *,
    from_offset: int | None = None,
    from_time: datetime | None = None,
    dry_run: bool = False,
) -> dict[str, ReplayReport]:
    """Replay each of `topics` (none: every topic the service consumes) into `service`, one topic
    after another through one binding of its consumers; a report per topic (full name). A topic
    named and missing is refused; one only implied by "every topic" and never created reads empty."""
    named = [full_topic(t, config.topic_prefix) for t in topics]
    reports: dict[str, ReplayReport] = {}
    async with service_feed(config, service, named or None) as feed:
        for full in feed.topics:
            async with topic_history(
                config, [full], from_offset=from_offset, from_time=from_time, skip_missing=not named
            ) as history:
                progress = Progress(f"replaying {full} into {service}", history.total)
                seen = already = applied = 0
                async for record in history.records():
                    seen += 1
                    outcome = await feed.feed(as_message(record), dry_run=dry_run)
                    already += outcome is Outcome.ALREADY_APPLIED
                    applied += outcome is Outcome.APPLIED
                    progress.update(seen)
                reports[full] = ReplayReport(seen, already, applied, progress.finish())
    return reports


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
    if offset is None:
        await reader.seek_to_beginning(*partitions)  # retention may have dropped offset 0
        return
    for tp in partitions:
        reader.seek(tp, offset)


async def _already_applied(tables: ConsumerTables, consumer: str, value: bytes) -> bool:
    try:
        envelope = Envelope.from_json(value)
    except ValueError:
        return False
    return await tables.seen(consumer, envelope.event_id)
