"""Unit of work: one database transaction holding aggregate appends and outbox messages.

Everything a command (or a consumed message) changes commits atomically: the new events of every
aggregate it touched (each with its expected version), the integration events for other services,
and, for consumers, the inbox row. Readers are woken with NOTIFY (by triggers on `events` and
`outbox`, see schema.py) when the transaction commits.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg

from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import IntegrationEvent
from shared.contracts.registry import VersionedEvent
from shared.domain.aggregate import Aggregate
from shared.domain.snapshots import SnapshottingAggregate
from shared.eventstore.database import DbConnection, create_pool, migrate
from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.snapshots import read_snapshot, save_snapshot
from shared.eventstore.store import EventStore, NewEvent
from shared.metrics import EVENTS_APPENDED
from shared.outbox.writer import write_outbox
from shared.tracing import current_causation_id, current_correlation_id

A = TypeVar("A", bound=Aggregate)
S = TypeVar("S", bound=SnapshottingAggregate)
T = TypeVar("T")

EVENTS_CHANNEL = "events"
log = logging.getLogger(__name__)


class UnitOfWork:
    """Tracks aggregates and outgoing messages of one transaction; `Database.unit_of_work` commits it."""

    def __init__(self, conn: DbConnection, store: EventStore, producer: str, topic_prefix: str) -> None:
        self.connection = conn
        self._store = store
        self._producer = producer
        self._topic_prefix = topic_prefix
        self._tracked: dict[str, Aggregate] = {}
        self._outgoing: list[tuple[str, Envelope]] = []
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the transaction has committed (not if it rolls back)."""
        self._after_commit.append(callback)

    def _committed(self) -> None:
        for callback in self._after_commit:
            callback()

    async def history(
        self, cls: type[Aggregate], aggregate_id: str, after_version: int = 0
    ) -> list[VersionedEvent]:
        """The committed events of one aggregate (those after `after_version`), upcast and decoded."""
        stream_id = f"{cls.stream_type}-{aggregate_id}"
        records = await self._store.read_stream(self.connection, stream_id, after_version)
        return [cls.registry.load(r.event_type, r.schema_version, r.data) for r in records]

    async def load(self, cls: type[A], aggregate_id: str) -> A:
        """The aggregate rebuilt from its stream (a new, empty one if the stream does not exist)."""
        stream_id = f"{cls.stream_type}-{aggregate_id}"
        tracked = self._tracked.get(stream_id)
        if tracked is not None:
            assert isinstance(tracked, cls)
            return tracked
        if issubclass(cls, SnapshottingAggregate):
            aggregate: A = await self._load_from_snapshot(cls, aggregate_id)
        else:
            aggregate = cls.rehydrate(aggregate_id, await self.history(cls, aggregate_id))
        self._tracked[stream_id] = aggregate
        return aggregate

    async def _load_from_snapshot(self, cls: type[S], aggregate_id: str) -> S:
        """The latest snapshot (if any of this shape) and the events after it."""
        stream_id = f"{cls.stream_type}-{aggregate_id}"
        snapshot = await read_snapshot(self.connection, stream_id, cls.snapshot_version)
        if snapshot is None:
            aggregate = cls(aggregate_id)
        else:
            aggregate = cls.from_snapshot(aggregate_id, snapshot.version, snapshot.state)
        aggregate.catch_up(await self.history(cls, aggregate_id, aggregate.version))
        return aggregate

    def add(self, aggregate: Aggregate) -> None:
        """Track an aggregate created in this unit of work (loaded ones are tracked already)."""
        self._tracked[f"{aggregate.stream_type}-{aggregate.id}"] = aggregate

    def publish(
        self,
        event: IntegrationEvent,
        *,
        key: str,
        aggregate_id: str,
        aggregate_version: int = 0,
        aggregate_type: str | None = None,
    ) -> Envelope:
        """Queue an integration event for Kafka, keyed by `key` (the order id in an order's life)."""
        envelope = Envelope.of(
            event,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            aggregate_type=aggregate_type,
            correlation_id=current_correlation_id(),
            causation_id=current_causation_id(),
            producer=self._producer,
        )
        self._outgoing.append((key, envelope))
        return envelope

    async def flush(self) -> None:
        """Append pending events and outbox rows; called once, just before commit."""
        metadata = {
            "correlation_id": current_correlation_id(),
            "causation_id": current_causation_id(),
            "producer": self._producer,
        }
        for stream_id, aggregate in self._tracked.items():
            pending = aggregate.take_pending()
            if not pending:
                continue
            new = [
                NewEvent(e.event_type, e.schema_version, e.model_dump(mode="json"), metadata) for e in pending
            ]
            loaded = aggregate.version
            aggregate.version = await self._store.append(
                self.connection, stream_id, aggregate.stream_type, loaded, new
            )
            EVENTS_APPENDED.inc(len(new))
            if isinstance(aggregate, SnapshottingAggregate) and aggregate.passes_snapshot_point(
                loaded, aggregate.version
            ):
                await save_snapshot(
                    self.connection,
                    stream_id,
                    aggregate.version,
                    aggregate.snapshot_version,
                    aggregate.snapshot_state(),
                )
        # Readers are woken by the tables' NOTIFY triggers (schema.py) when this commits.
        await write_outbox(self.connection, self._outgoing, self._topic_prefix)
        self._outgoing = []


class Database:
    """A service's own database: its pool, its event store, and units of work on it."""

    def __init__(self, dsn: str, *, producer: str, topic_prefix: str = "") -> None:
        self.dsn = dsn
        self.store = EventStore()
        self.producer = producer
        self.topic_prefix = topic_prefix
        self._pool: asyncpg.Pool | None = None

    async def open(self, ddl: Iterable[str] = (), *, min_size: int = 2, max_size: int = 10) -> None:
        """Connect and create the kernel's and the service's tables."""
        self._pool = await create_pool(self.dsn, min_size=min_size, max_size=max_size)
        await migrate(self._pool, ddl)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("database is not open")
        return self._pool

    @asynccontextmanager
    async def unit_of_work(self, conn: DbConnection | None = None) -> AsyncIterator[UnitOfWork]:
        """A transaction that commits the unit of work on normal exit and rolls back on error.

        Given `conn`, runs inside the caller's connection (the consumer passes its own, so the
        inbox row joins the same transaction); otherwise takes one from the pool.
        """
        if conn is not None:
            async with conn.transaction():
                uow = UnitOfWork(conn, self.store, self.producer, self.topic_prefix)
                yield uow
                await uow.flush()
            uow._committed()
            return
        async with self.pool.acquire() as acquired:
            async with acquired.transaction():
                uow = UnitOfWork(acquired, self.store, self.producer, self.topic_prefix)
                yield uow
                await uow.flush()
            uow._committed()

    async def run(self, command: Callable[[UnitOfWork], Awaitable[T]], *, attempts: int = 40) -> T:
        """Run `command` in a unit of work, retrying from a fresh read on a concurrency conflict.

        Each conflict means another writer of the same stream won; with N writers racing, the last
        needs N tries, so the budget is generous and the backoff jittered (capped at 50 ms) to let
        the winners' transactions finish. Only when it runs out does the caller see a 409.
        """
        for attempt in range(1, attempts + 1):
            try:
                async with self.unit_of_work() as uow:
                    return await command(uow)
            except ConcurrencyError:
                if attempt == attempts:
                    raise
                log.debug("concurrency conflict, retrying (attempt %d)", attempt)
                await asyncio.sleep(random.uniform(0, min(0.05, 0.002 * 2 ** min(attempt, 5))))
        raise AssertionError("unreachable")
