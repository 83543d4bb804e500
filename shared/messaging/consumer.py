"""Idempotent, order-tolerant consumption of integration events.

For every message: decode and upcast the envelope, then in ONE database transaction insert the
inbox row `(consumer, event_id)` and run the handler (whose appends and outbox rows join that
transaction). The Kafka offset is committed only after that transaction commits (collected and
committed once per interval, `offset_commits.py`), so a crash in between redelivers the message and
the inbox row turns it into a no-op.

- A message that cannot be decoded, has an unknown type or version, or keeps failing goes to the
  dead-letter topic with the reason, and the partition moves on.
- A handler that raises `NotReady` has its message parked and retried later: after each message of
  the same key while anything may be parked (a flag only the periodic sweep clears, on finding no
  parked row of this consumer in the database, whichever instance parked it), and by that sweep.
- Lost database or broker connections are retried until they come back (the partition waits:
  skipping would break per-key order).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from pydantic import ValidationError

from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import CONTRACTS, IntegrationEvent, topic_for
from shared.contracts.registry import EventRegistry, UnknownEventType, UnsupportedSchemaVersion
from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.unit_of_work import Database, UnitOfWork
from shared.messaging.dead_letters import DeadLetterPublisher, FailedMessage
from shared.messaging.errors import NotReady, PoisonMessage
from shared.messaging.offset_commits import OffsetCommitter
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
    asyncpg.TooManyConnectionsError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    ConcurrencyError,
)

_INBOX = (
    "INSERT INTO inbox (consumer, event_id, topic) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING true"
)
_PARK = """
INSERT INTO parked_messages (consumer, key, event_id, topic, payload, reason)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (consumer, event_id) DO NOTHING
"""


async def _raw_body(message: StreamMessage[Any]) -> bytes:
    """FastStream decoder that leaves the bytes alone: the consumer validates them itself."""
    body = message.body
    return body if isinstance(body, bytes) else bytes(body)


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
    ) -> None:
        self.name = name
        self._database: Database | None = None
        self._dead_letter_publisher: DeadLetterPublisher | None = None
        self._prefix = ""
        self._registry = registry
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._sweep_interval = sweep_interval
        self._handlers: dict[str, Handler] = {}
        self.applied = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self.parked = 0
        self.offsets = OffsetCommitter(name, interval=commit_interval)
        self._maybe_parked = True
        """False only once a sweep found nothing parked and nothing was parked since: then the
        per-message retry of the key's parked messages (a query per message) can be skipped."""
        self._parks_begun = 0
        self._parks_done = 0

    # -- wiring ---------------------------------------------------------------------------------

    def bind(self, database: Database, dead_letters: DeadLetterPublisher, *, topic_prefix: str = "") -> None:
        """Attach the service's database and dead-letter publisher (at start-up, before subscribing)."""
        self._database = database
        self._dead_letter_publisher = dead_letters
        self._prefix = topic_prefix

    @property
    def _db(self) -> Database:
        if self._database is None:
            raise RuntimeError(f"consumer {self.name} is not bound to a database")
        return self._database

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

        async def on_message(body: bytes, message: KafkaMessage) -> None:
            record = message.raw_message
            assert not isinstance(record, tuple), "batch subscribers are not used"
            failed = FailedMessage(
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                key=record.key,
                value=body,
                headers=tuple((k, bytes(v)) for k, v in (record.headers or ())),
            )
            dead_letters_before = self.dead_lettered
            await self.process(failed)
            self.offsets.processed(message.consumer, record.topic, record.partition, record.offset)
            if self.dead_lettered != dead_letters_before:
                await self.offsets.flush()  # a redelivery would dead-letter it twice

        broker.subscriber(
            *self.topics_with_prefix(prefix),
            group_id=f"{prefix}{self.name}",
            ack_policy=AckPolicy.MANUAL,  # committed by self.offsets once handled
            auto_offset_reset="earliest",
            decoder=_raw_body,
            title=f"{self.name}",
            **options,
        )(on_message)

    # -- processing -----------------------------------------------------------------------------

    async def process(self, message: FailedMessage) -> None:
        """Apply one Kafka message exactly once, park it, or dead-letter it. Never raises."""
        try:
            envelope = Envelope.from_json(message.value)
            handler = self._handlers.get(envelope.event_type)
            if handler is None:
                raise PoisonMessage(f"no handler for event type {envelope.event_type!r} on {message.topic}")
            event = self._registry.load(envelope.event_type, envelope.schema_version, envelope.data)
        except (
            ValueError,
            ValidationError,
            UnknownEventType,
            UnsupportedSchemaVersion,
            PoisonMessage,
        ) as exc:
            await self._dead_letter(message, f"undecodable message: {exc}", exc)
            return

        key = (message.key or b"").decode(errors="replace")
        attempt = 0
        while True:
            try:
                with traced(envelope.correlation_id, str(envelope.event_id)):
                    await self._apply(envelope, event, handler, message.topic)
                break
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
        if self._maybe_parked:
            await self.retry_parked(key)

    async def _apply(self, envelope: Envelope, event: Any, handler: Handler, topic: str) -> bool:
        """Inbox row and handler effects in one transaction; False if already applied."""
        async with self._db.pool.acquire() as conn, self._db.unit_of_work(conn) as uow:
            if not await conn.fetchval(_INBOX, self.name, envelope.event_id, topic):
                self.duplicates += 1
                CONSUMED.labels(self.name, "duplicate").inc()
                return False
            await handler(event, envelope, uow)
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
        self._maybe_parked = True
        self._parks_begun += 1
        try:
            while True:
                try:
                    async with self._db.pool.acquire() as conn:
                        await conn.execute(
                            _PARK, self.name, key, envelope.event_id, message.topic, message.value, reason
                        )
                    self.parked += 1
                    CONSUMED.labels(self.name, "parked").inc()
                    return
                except TRANSIENT_ERRORS as exc:
                    log.warning("%s: parking failed (%s), retrying", self.name, exc)
                    await asyncio.sleep(0.5)
        finally:
            self._parks_done += 1

    async def retry_parked(self, key: str | None = None) -> int:
        """Re-run parked messages (of one key, or all); returns how many were applied or found done."""
        query = "SELECT id, key, topic, payload FROM parked_messages WHERE consumer = $1"
        args: list[Any] = [self.name]
        if key is not None:
            query += " AND key = $2"
            args.append(key)
        parks_before, none_in_flight = self._parks_begun, self._parks_begun == self._parks_done
        async with self._db.pool.acquire() as conn:
            rows = await conn.fetch(query + " ORDER BY id", *args)
        if rows:
            self._maybe_parked = True  # perhaps parked by another instance before a rebalance
        elif key is None and none_in_flight and self._parks_begun == parks_before:
            self._maybe_parked = False  # every park so far had committed before this read saw none
        done = 0
        for row in rows:
            envelope = Envelope.from_json(row["payload"])
            handler = self._handlers[envelope.event_type]
            event = self._registry.load(envelope.event_type, envelope.schema_version, envelope.data)
            try:
                with traced(envelope.correlation_id, str(envelope.event_id)):
                    await self._apply(envelope, event, handler, row["topic"])
            except NotReady:
                continue
            except TRANSIENT_ERRORS:
                raise
            except Exception as exc:
                unparked = FailedMessage(row["topic"], -1, -1, row["key"].encode(), row["payload"], ())
                await self._dead_letter(unparked, f"parked message failed: {exc!r}", exc)
            async with self._db.pool.acquire() as conn:
                await conn.execute("DELETE FROM parked_messages WHERE id = $1", row["id"])
            done += 1
        return done

    async def sweep_parked(self) -> None:
        """Periodically retry everything parked: its prerequisite may have been applied elsewhere."""
        while True:
            await asyncio.sleep(self._sweep_interval)
            with contextlib.suppress(Exception):
                await self.retry_parked()
