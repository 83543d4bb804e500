"""Idempotent, order-tolerant consumption of integration events.

Messages come in fetched batches (FastStream's batch subscriber: whatever one `getmany` returned).
A batch is applied in ONE database transaction: one insert of the inbox rows `(consumer, event_id)`
of all its messages (one already there, a redelivery, fails the batch, and the one-at-a-time path
below finds it a duplicate and skips it; in a transaction, such rows are skipped), then each new message's
handler in order, its appends and outbox rows flushed under its own correlation (one unit of work,
so two messages about one aggregate fold in order), then one commit. A batch that fails in any way
is rolled back and applied again one message at a time, so a parked or poison message is handled
alone and never holds back the others. The Kafka offsets are committed only after the transaction
commits (collected and committed once per interval, `offset_commits.py`), so a crash in between
redelivers the messages and their inbox rows turn them into no-ops.

- A message that cannot be decoded, has an unknown type or version, or keeps failing goes to the
  dead-letter topic with the reason, and the partition moves on.
- An envelope whose `producer` does not own its topic (`shared.contracts.ownership`), or whose
  event type is not the one its topic is named after, is refused the same way: dead-lettered with
  the reason, nothing applied (defence in depth behind the broker's ACLs).
- A dead letter's retry meant for another consumer of the topic (header `dlq.retry_for`) is
  stepped over: a retry goes only to the consumer that dead-lettered the message.
- A handler that raises `NotReady` has its message parked and retried later: after each message of
  the same key, and by the periodic sweep. Which keys may hold parked messages is kept in memory
  (`ParkedKeys`): until the first sweep has read the table every key is suspect (another instance
  may have parked before a rebalance); after it, only the keys parked since or found by a sweep,
  so a message of any other key costs no query and batches stay batches.
- Lost database or broker connections are retried until they come back (the partition waits:
  skipping would break per-key order).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from aiokafka import ConsumerRecord, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from pydantic import ValidationError

from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import CONTRACTS, IntegrationEvent, topic_for
from shared.contracts.ownership import producer_refusal
from shared.contracts.registry import EventRegistry, UnknownEventType, UnsupportedSchemaVersion
from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.port import UnitOfWork
from shared.eventstore.stream_cache import CachedReadSuspect
from shared.eventstore.unit_of_work import Database, NeedsTransaction
from shared.messaging.batch_polling import IDLE_POLL_MS, wait_for_records
from shared.messaging.consumer_tables import ConsumerDatabase, ConsumerTables
from shared.messaging.dead_letters import DeadLetterPublisher, FailedMessage, is_for
from shared.messaging.errors import NotReady, PoisonMessage, UntrustedMessage
from shared.messaging.offset_commits import OffsetCommitter
from shared.messaging.parked_keys import ParkedKeys
from shared.messaging.postgres_consumer_tables import PostgresConsumerTables
from shared.metrics import CONSUMED, DEAD_LETTERS
from shared.tracing import traced

log = logging.getLogger(__name__)

E = TypeVar("E", bound=IntegrationEvent)
Handler = Callable[[Any, Envelope, UnitOfWork], Awaitable[None]]

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ConnectionError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.TooManyConnectionsError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    ConcurrencyError,
)

_UNDECODABLE: tuple[type[BaseException], ...] = (
    ValueError,
    ValidationError,
    UnknownEventType,
    UnsupportedSchemaVersion,
    PoisonMessage,
)


async def _whole_batch(message: StreamMessage[Any]) -> Any:
    """FastStream decoder handing the handler the message itself (its records and its consumer): the
    consumer validates the bytes itself, and asking FastStream for the `KafkaMessage` as a second
    parameter costs a thread-pool hop per call (fast_depends resolves that context synchronously)."""
    return message


def _key(message: FailedMessage) -> str:
    return (message.key or b"").decode(errors="replace")


def _reason(exc: BaseException) -> str:
    """The dead letter's reason for a message that could not be decoded or was refused."""
    return str(exc) if isinstance(exc, UntrustedMessage) else f"undecodable message: {exc}"


class _BatchFailed(Exception):
    """Something in a batch needs the one-message-at-a-time path (parking, poison, a retry)."""


@dataclass(frozen=True)
class _Decoded:
    message: FailedMessage
    envelope: Envelope
    event: Any
    handler: Handler


def _first_offsets(messages: Sequence[FailedMessage]) -> dict[TopicPartition, int]:
    """The lowest offset of each partition among fetched messages."""
    first: dict[TopicPartition, int] = {}
    for message in messages:
        tp = TopicPartition(message.topic, message.partition)
        first[tp] = min(first.get(tp, message.offset), message.offset)
    return first


class EventConsumer:
    """One consumer group of a service: handlers per event type, sharing one Kafka subscription."""

    def __init__(
        self,
        name: str,
        *,
        registry: EventRegistry = CONTRACTS,
        max_attempts: int = 3,
        retry_delay: float = 0.05,
        sweep_interval: float = 5.0,
        commit_interval: float = 0.5,
        max_batch: int = 200,
        idle_poll_ms: int = IDLE_POLL_MS,
    ) -> None:
        self.name = name
        self._database: ConsumerDatabase | None = None
        self._consumer_tables: ConsumerTables | None = None
        self._dead_letter_publisher: DeadLetterPublisher | None = None
        self._prefix = ""
        self._group_suffix = ""
        self._registry = registry
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._sweep_interval = sweep_interval
        self._handlers: dict[str, Handler] = {}
        self._transactional: set[Handler] = set()
        """Handlers that asked for their unit's connection (`NeedsTransaction`): they run in a
        transaction; the others' units are written in one statement."""
        self._max_batch = max_batch
        self._idle_poll_ms = idle_poll_ms
        self.applied = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self.parked = 0
        self.skipped_retries = 0
        self.offsets = OffsetCommitter(name, interval=commit_interval)
        self._parked = ParkedKeys()

    # -- wiring ---------------------------------------------------------------------------------

    def bind(
        self,
        database: ConsumerDatabase,
        dead_letters: DeadLetterPublisher,
        *,
        topic_prefix: str = "",
        group_suffix: str = "",
        tables: ConsumerTables | None = None,
    ) -> None:
        """Attach the service's database and dead-letter publisher (at start-up, before subscribing);
        `group_suffix` (CONSUMER_GROUP_SUFFIX) makes a shadow instance join a group of its own.
        `tables`: where the inbox and parked messages are (PostgreSQL's, in `database`, by default)."""
        if tables is None:
            if not isinstance(database, Database):
                raise TypeError(f"consumer {self.name}: name the consumer tables of {database!r}")
            tables = PostgresConsumerTables(database)
        self._database = database
        self._consumer_tables = tables
        self._dead_letter_publisher = dead_letters
        self._prefix = topic_prefix
        self._group_suffix = group_suffix

    def group_with_prefix(self, prefix: str) -> str:
        """The Kafka consumer group: the topic prefix, the consumer's name, and the bound suffix (none
        for the live group; a shadow's, so that it reads every topic from the start for itself)."""
        return f"{prefix}{self.name}{self._group_suffix}"

    @property
    def _db(self) -> ConsumerDatabase:
        if self._database is None:
            raise RuntimeError(f"consumer {self.name} is not bound to a database")
        return self._database

    @property
    def _tables(self) -> ConsumerTables:
        if self._consumer_tables is None:
            raise RuntimeError(f"consumer {self.name} is not bound to a database")
        return self._consumer_tables

    @property
    def _dead_letters(self) -> DeadLetterPublisher:
        if self._dead_letter_publisher is None:
            raise RuntimeError(f"consumer {self.name} is not bound to a dead-letter publisher")
        return self._dead_letter_publisher

    def handles(
        self, event_cls: type[E]
    ) -> Callable[[Callable[[E, Envelope, UnitOfWork], Awaitable[None]]], Any]:
        """Decorator: `handler(event, envelope, uow)` applies one event type."""

        def register(fn: Callable[[E, Envelope, UnitOfWork], Awaitable[None]]) -> Any:
            self._handlers[event_cls.event_type] = fn
            return fn

        return register

    @property
    def topics(self) -> list[str]:
        return self.topics_with_prefix(self._prefix)

    def topics_with_prefix(self, prefix: str) -> list[str]:
        return [topic_for(t, prefix) for t in sorted(self._handlers)]

    def subscribe(self, broker: KafkaBroker, *, topic_prefix: str | None = None, **options: Any) -> None:
        """Create the FastStream subscriber for every handled topic (call before `broker.start()`).

        `topic_prefix` overrides the bound one (the AsyncAPI document is made without a prefix).
        """
        prefix = self._prefix if topic_prefix is None else topic_prefix

        async def on_batch(batch: Any) -> None:
            records = batch.raw_message  # a tuple from Kafka's fetch; FastStream's test broker: a list
            if not isinstance(records, tuple | list):
                records = (records,)
            await self.consume(batch.consumer, records)

        subscriber = broker.subscriber(
            *self.topics_with_prefix(prefix),
            group_id=self.group_with_prefix(prefix),
            ack_policy=AckPolicy.MANUAL,  # committed by self.offsets once handled
            auto_offset_reset="earliest",
            decoder=_whole_batch,
            batch=True,
            max_records=self._max_batch,
            title=f"{self.name}",
            **options,
        )
        subscriber(on_batch)
        wait_for_records(subscriber, poll_ms=self._idle_poll_ms)

    async def consume(self, consumer: Any, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        """Apply fetched records and hand their offsets to the committer."""
        messages = [
            FailedMessage(
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                key=record.key,
                value=record.value if isinstance(record.value, bytes) else bytes(record.value or b""),
                headers=tuple((k, bytes(v)) for k, v in (record.headers or ())),
            )
            for record in records
        ]
        dead_letters_before = self.dead_lettered
        try:
            await self.process_batch(self._mine(messages))
        except Exception:
            # Never lose a fetched batch: the fetcher has moved past it, so point each partition back
            # at the batch's first message; it is fetched again and the inbox makes what was applied
            # a no-op. Nothing of it is marked processed.
            log.exception("%s: a batch of %d failed; fetching it again", self.name, len(messages))
            for tp, first in _first_offsets(messages).items():
                consumer.seek(tp, first)
            return
        for message in messages:
            self.offsets.processed(consumer, message.topic, message.partition, message.offset)
        if self.dead_lettered != dead_letters_before:
            await self.offsets.flush()  # a redelivery would dead-letter it twice

    def _mine(self, messages: Sequence[FailedMessage]) -> list[FailedMessage]:
        """The messages for this consumer: not a dead letter's retry meant for another consumer of
        the topic (`dead_letters.is_for`); those are stepped over, their offsets committed."""
        mine = [message for message in messages if is_for(message, self.name)]
        if len(mine) != len(messages):
            self.skipped_retries += len(messages) - len(mine)
            CONSUMED.labels(self.name, "retry_for_another").inc(len(messages) - len(mine))
        return mine

    # -- processing -----------------------------------------------------------------------------

    async def process_batch(self, messages: Sequence[FailedMessage]) -> None:
        """Apply messages in one transaction, or one at a time if that cannot be done. Never raises."""
        if len(messages) == 1 or any(self._parked.may_hold(_key(message)) for message in messages):
            # Parked messages may wait for these: the one-at-a-time path retries them after each.
            for message in messages:
                await self.process(message)
            return
        decoded: list[_Decoded] = []
        for message in messages:
            try:
                decoded.append(self._decode(message))
            except _UNDECODABLE as exc:
                await self._dead_letter(message, _reason(exc), exc)
        try:
            await self._apply_all(decoded)
        except _BatchFailed:
            for item in decoded:
                await self.process(item.message)

    def _decode(self, message: FailedMessage) -> _Decoded:
        envelope = Envelope.from_json(message.value)
        handler = self._handlers.get(envelope.event_type)
        if handler is None:
            raise PoisonMessage(f"no handler for event type {envelope.event_type!r} on {message.topic}")
        self._trust(envelope, message.topic)
        event = self._registry.load(envelope.event_type, envelope.schema_version, envelope.data)
        return _Decoded(message, envelope, event, handler)

    def _trust(self, envelope: Envelope, topic: str) -> None:
        """Raise UntrustedMessage if the envelope is not its topic's to carry: a topic carries the
        event type it is named after, from the producer that owns it (any, for an inbound topic)."""
        named_after = topic.removeprefix(self._prefix)
        if envelope.event_type != named_after:
            raise UntrustedMessage(
                f"refused: a {envelope.event_type} envelope on topic {topic}, "
                f"which carries only {named_after}"
            )
        refusal = producer_refusal(envelope.event_type, envelope.producer)
        if refusal is not None:
            raise UntrustedMessage(f"refused: {refusal}")

    async def _apply_all(self, batch: Sequence[_Decoded]) -> None:
        """Inbox rows and every new message's effects in one unit of work (one statement, unless a
        handler needs a transaction); raises _BatchFailed (nothing written) if any handler failed or
        the database did."""
        if not batch:
            return
        one_statement = not any(item.handler in self._transactional for item in batch)
        try:
            async with self._db.unit_of_work(one_statement=one_statement) as uow:
                ids = [item.envelope.event_id for item in batch]
                topics = [item.message.topic for item in batch]
                if one_statement:  # no look first: a message applied before fails the batch
                    unique = dict(zip(ids, topics, strict=True))
                    uow.record_inbox(self.name, list(unique), list(unique.values()))
                    fresh = set(unique)
                else:
                    fresh = await self._tables.claim(uow, self.name, ids, topics)
                applied = 0
                for item in batch:
                    if item.envelope.event_id not in fresh:
                        continue
                    fresh.discard(item.envelope.event_id)  # the same message twice in one batch
                    with traced(item.envelope.correlation_id, str(item.envelope.event_id)):
                        try:
                            await item.handler(item.event, item.envelope, uow)
                        except NeedsTransaction:
                            self._transactional.add(item.handler)
                            raise
                        await uow.flush_events()  # under this message's correlation and causation
                    applied += 1
        except Exception as exc:
            log.debug("%s: batch of %d falls back to one at a time (%r)", self.name, len(batch), exc)
            raise _BatchFailed from exc
        self.applied += applied
        self.duplicates += len(batch) - applied
        CONSUMED.labels(self.name, "applied").inc(applied)
        if len(batch) > applied:
            CONSUMED.labels(self.name, "duplicate").inc(len(batch) - applied)
        log.info(
            "%s applied %d of %d messages in one transaction",
            self.name,
            applied,
            len(batch),
            extra={"topic": ",".join(sorted({item.message.topic for item in batch}))},
        )

    async def process(self, message: FailedMessage) -> None:
        """Apply one Kafka message exactly once, park it, or dead-letter it. Never raises."""
        try:
            decoded = self._decode(message)
        except _UNDECODABLE as exc:
            await self._dead_letter(message, _reason(exc), exc)
            return
        envelope, event, handler = decoded.envelope, decoded.event, decoded.handler

        key = _key(message)
        attempt = 0
        suspects = 0
        while True:
            try:
                with traced(envelope.correlation_id, str(envelope.event_id)):
                    await self._apply(envelope, event, handler, message.topic)
                break
            except CachedReadSuspect:
                # Decided on cached streams, now forgotten: again from fresh reads, at once (after a
                # few in a row, as any conflict: others keep putting streams back meanwhile).
                suspects += 1
                if suspects > 3:
                    await asyncio.sleep(min(0.01 * suspects, 1.0))
            except NotReady as exc:
                await self._park(message, envelope, key, str(exc))
                return
            except PoisonMessage as exc:
                await self._dead_letter(message, str(exc), exc)
                return
            except TRANSIENT_ERRORS as exc:
                log.warning("%s: transient failure on %s (%s), retrying", self.name, envelope.event_id, exc)
                await asyncio.sleep(min(0.1 * 2 ** min(attempt, 6), 5.0))
                attempt += 1
            except Exception as exc:
                attempt += 1
                if attempt >= self._max_attempts:
                    log.exception(
                        "%s: %s failed %d times; dead-lettering", self.name, envelope.event_id, attempt
                    )
                    await self._dead_letter(message, f"handler failed {attempt} times: {exc!r}", exc)
                    return
                await asyncio.sleep(self._retry_delay * attempt)
        if self._parked.may_hold(key):
            await self._retry_parked_after(key)

    async def _retry_parked_after(self, key: str) -> None:
        """Retry what was parked under the key of a message just applied. A failure here must not
        escape: the message was applied, and an exception from the batch handler would drop the rest
        of the fetched batch, whose offsets then pass unapplied. What stays parked, the sweep retries."""
        try:
            await self.retry_parked(key)
        except Exception as exc:
            log.warning(
                "%s: retrying what was parked under %s failed (%r); the sweep retries it", self.name, key, exc
            )

    async def _apply(self, envelope: Envelope, event: Any, handler: Handler, topic: str) -> bool:
        """Inbox row and handler effects in one unit of work; False if already applied."""
        applied = None
        if handler not in self._transactional:
            try:
                applied = await self._apply_in_one_statement(envelope, event, handler, topic)
            except NeedsTransaction:
                self._transactional.add(handler)
        if applied is None:
            async with self._db.unit_of_work() as uow:
                applied = bool(await self._tables.claim(uow, self.name, [envelope.event_id], [topic]))
                if applied:
                    await handler(event, envelope, uow)
        if not applied:
            self.duplicates += 1
            CONSUMED.labels(self.name, "duplicate").inc()
            return False
        self.applied += 1
        CONSUMED.labels(self.name, "applied").inc()
        log.info(
            "%s applied %s %s",
            self.name,
            envelope.event_type,
            envelope.event_id,
            extra={"event_type": envelope.event_type, "event_id": str(envelope.event_id), "topic": topic},
        )
        return True

    async def _apply_in_one_statement(
        self, envelope: Envelope, event: Any, handler: Handler, topic: str
    ) -> bool:
        """The handler's effects and the inbox row in one statement, without looking at the inbox
        first (a round trip per message): a message applied before (a redelivery) fails that
        statement on its inbox row, or fails its handler; only then is the inbox looked at, and a
        message found there is a duplicate."""
        try:
            async with self._db.unit_of_work(one_statement=True) as uow:
                await handler(event, envelope, uow)
                uow.record_inbox(self.name, [envelope.event_id], [topic])
        except NeedsTransaction:
            raise
        except Exception:
            if await self._seen(envelope.event_id):
                return False
            raise
        return True

    async def _seen(self, event_id: Any) -> bool:
        """Whether the inbox holds the message (False if that cannot be read: the caller's error
        then stands)."""
        try:
            return await self._tables.seen(self.name, event_id)
        except Exception:
            return False

    async def _dead_letter(self, message: FailedMessage, reason: str, error: BaseException | None) -> None:
        log.error(
            "%s: dead-lettering %s[%d]@%d: %s",
            self.name,
            message.topic,
            message.partition,
            message.offset,
            reason,
        )
        while True:
            try:
                await self._dead_letters.publish(message, reason, error)
                self.dead_lettered += 1
                CONSUMED.labels(self.name, "dead_lettered").inc()
                DEAD_LETTERS.labels(self.name, message.topic).inc()
                return
            except Exception as exc:  # the broker is away: keep the partition waiting, lose nothing
                log.warning("%s: dead-letter publish failed (%s), retrying", self.name, exc)
                await asyncio.sleep(1.0)

    # -- parking --------------------------------------------------------------------------------

    async def _park(self, message: FailedMessage, envelope: Envelope, key: str, reason: str) -> None:
        self._parked.begin(key)
        try:
            while True:
                try:
                    await self._tables.park(
                        self.name, key, envelope.event_id, message.topic, message.value, reason
                    )
                    self.parked += 1
                    CONSUMED.labels(self.name, "parked").inc()
                    return
                except TRANSIENT_ERRORS as exc:
                    log.warning("%s: parking failed (%s), retrying", self.name, exc)
                    await asyncio.sleep(0.5)
        finally:
            self._parked.end()

    async def retry_parked(self, key: str | None = None) -> int:
        """Re-run parked messages (of one key, or all); returns how many were applied or found done."""
        reading = self._parked.reading()
        rows = await self._tables.parked(self.name, key)
        done = 0
        still_parked: set[str] = set()
        for row in rows:
            envelope = Envelope.from_json(row.payload)
            handler = self._handlers[envelope.event_type]
            event = self._registry.load(envelope.event_type, envelope.schema_version, envelope.data)
            try:
                with traced(envelope.correlation_id, str(envelope.event_id)):
                    try:
                        await self._apply(envelope, event, handler, row.topic)
                    except CachedReadSuspect:
                        await self._apply(envelope, event, handler, row.topic)  # from fresh reads
            except NotReady:
                still_parked.add(row.key)
                continue
            except TRANSIENT_ERRORS:
                raise
            except Exception as exc:
                unparked = FailedMessage(row.topic, -1, -1, row.key.encode(), row.payload, ())
                await self._dead_letter(unparked, f"parked message failed: {exc!r}", exc)
            await self._tables.unpark(row.id)
            done += 1
        self._parked.read(reading, key, still_parked)
        return done

    async def sweep_parked(self) -> None:
        """Periodically retry everything parked: its prerequisite may have been applied elsewhere."""
        while True:
            await asyncio.sleep(self._sweep_interval)
            with contextlib.suppress(Exception):
                await self.retry_parked()
