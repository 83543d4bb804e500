"""Unit of work: one database transaction holding aggregate appends and outbox messages.

Everything a command (or a consumed message) changes commits atomically: the new events of every
aggregate it touched (each with its expected version), the integration events for other services,
and, for consumers, the inbox row. Once it has committed, the unit of work tells this process's
readers what it wrote (`CommitSignals`): the relay gets the outbox rows, projection runners the
event types and log position, waiting requests the streams. No NOTIFY: see commit_signals.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from uuid import UUID

import asyncpg

from shared.contracts.registry import VersionedEvent
from shared.domain.aggregate import Aggregate
from shared.domain.snapshots import SnapshottingAggregate
from shared.eventstore.aggregate_reader import AggregateReader, stream_id_of
from shared.eventstore.commit_signals import Commit, CommitSignals, OutboxRow
from shared.eventstore.database import DbConnection, create_pool, migrate
from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.one_statement import StagedSnapshot, StagedStream, StagedWrite, kernel_commit
from shared.eventstore.outgoing import event_metadata
from shared.eventstore.pool_slot import PoolSlot
from shared.eventstore.port import Adapters, Port
from shared.eventstore.positions import LogPosition
from shared.eventstore.snapshots import save_snapshot
from shared.eventstore.store import EventStore, NewEvent
from shared.eventstore.stream_cache import CachedReadSuspect, StreamCache
from shared.eventstore.unit_basics import UnitBasics, start_from_known
from shared.eventstore.unit_streams import UnitStreams
from shared.metrics import EVENTS_APPENDED
from shared.outbox.writer import outbox_rows, stage_outbox, write_outbox

A = TypeVar("A", bound=Aggregate)
B = TypeVar("B", bound=Aggregate)
T = TypeVar("T")

BROKEN_CONNECTION: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,  # the server is shutting down or recovering from a crash
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)
"""Failures that leave a connection unusable (as opposed to a statement's error)."""

log = logging.getLogger(__name__)


class NeedsTransaction(Exception):
    """A one-statement unit of work was asked for its connection: its command writes more than
    events, snapshots, outbox and inbox rows, so `Database.run` (or a consumer) runs it again in a
    transaction, and runs that command in one from then on."""


class PostgresUnitOfWork(UnitBasics):
    """Tracks aggregates and outgoing messages of one transaction; `Database.unit_of_work` commits it.

    In one-statement mode (`one_statement=True`) there is no transaction: reads run on their own,
    and the whole write (appends to every stream, snapshots, outbox rows, the consumer's inbox rows)
    is staged and sent as one `kernel_commit` call at the end (see one_statement.py). Such a unit
    cannot hand out its connection for other writes: `connection` raises `NeedsTransaction`.
    """

    def __init__(
        self,
        conn: DbConnection,
        store: EventStore,
        producer: str,
        topic_prefix: str,
        signals: CommitSignals | None = None,
        *,
        one_statement: bool = False,
        cache: StreamCache | None = None,
        adapters: Adapters | None = None,
    ) -> None:
        super().__init__(producer, adapters)
        self._conn = conn
        self._one_statement = one_statement
        self._store = store
        self._topic_prefix = topic_prefix
        self._signals = signals
        self._tracked: dict[str, Aggregate] = {}
        self._written_streams: set[str] = set()
        self._written_types: set[str] = set()
        self._last_position: LogPosition | None = None
        self._outbox_rows: list[OutboxRow] = []
        self._staged: dict[str, StagedStream] = {}
        self._snapshots: dict[str, StagedSnapshot] = {}
        self._inbox: tuple[str, list[UUID], list[str]] | None = None
        self._writes: list[StagedWrite] = []
        self._staged_count = 0
        self._streams = UnitStreams(cache, read_from_cache=one_statement)
        """The process's stream cache as this unit uses it: only a one-statement unit starts from
        cached streams, for only its commit checks the streams it read (see stream_cache.py)."""
        self._reader = AggregateReader(conn, store, self._streams.loaded if self._streams.enabled else None)

    @property
    def connection(self) -> DbConnection:
        """The transaction's connection, for writes beyond events and outbox rows (index tables)."""
        if self._one_statement:
            raise NeedsTransaction("this unit of work commits in one statement")
        return self._conn

    @property
    def reads(self) -> DbConnection:
        """A connection for read-only statements, in either mode."""
        return self._conn

    async def write(self, statement: str, *args: Any) -> None:
        """Write a row of the service's own tables with the unit (an index beside the events).

        `statement` is a constant of the service's code taking `args` as one jsonb array: `$1::jsonb
        ->> 0` is the first, as text (cast it). In one-statement mode it runs inside `kernel_commit`,
        after the appends, so the unit still needs no transaction; in a transaction it runs now.
        """
        values = list(args)
        if self._one_statement:
            self._writes.append(StagedWrite(statement, values))
        else:
            await self._conn.execute(statement, values)

    def record_inbox(self, consumer: str, event_ids: list[UUID], topics: list[str]) -> None:
        """One-statement mode: the consumer's inbox rows, written with everything else (a row already
        there, written meanwhile by another instance, fails the write as a conflict)."""
        self._inbox = (consumer, event_ids, topics)

    def presumed_new(self, stream_id: str) -> bool:
        """Whether this unit presumed `stream_id` new (`load_new`) rather than read it."""
        return self._streams.presumed(stream_id)

    @property
    def read_from_cache(self) -> bool:
        """Whether any aggregate this unit loaded came from the stream cache."""
        return self._streams.read_any_from_cache

    def _failed(self) -> None:
        self._streams.failed()

    def _committed(self) -> None:
        self._streams.committed()
        if self._staged_count:
            EVENTS_APPENDED.inc(self._staged_count)
        if self._signals is not None and (self._written_streams or self._outbox_rows):
            self._signals.committed(
                Commit(
                    streams=frozenset(self._written_streams),
                    event_types=frozenset(self._written_types),
                    last_position=self._last_position,
                    outbox=tuple(self._outbox_rows),
                )
            )
        self._run_after_commit()

    async def history(
        self, cls: type[Aggregate], aggregate_id: str, after_version: int = 0
    ) -> list[VersionedEvent]:
        """The committed events of one aggregate (those after `after_version`), upcast and decoded."""
        return await self._reader.history(cls, aggregate_id, after_version)

    async def load(self, cls: type[A], aggregate_id: str) -> A:
        """The aggregate rebuilt from its stream (a new, empty one if the stream does not exist)."""
        stream_id = stream_id_of(cls, aggregate_id)
        tracked = self._tracked.get(stream_id)
        if tracked is not None:
            assert isinstance(tracked, cls)
            return tracked
        aggregate = self._streams.lookup(cls, stream_id, aggregate_id)
        if aggregate is None:
            aggregate = await self._reader.load(cls, aggregate_id)
        self._tracked[stream_id] = aggregate
        return aggregate

    async def load_new(self, cls: type[A], aggregate_id: str) -> A:
        """`load` for the message that normally creates the stream: a one-statement unit presumes it
        empty instead of reading it, unless this process knows it (cached, or a presumption of it
        failed). The commit checks the presumption (the stream must still be at version 0), so a
        stream that exists fails the unit, which runs again from a fresh read (`CachedReadSuspect`)."""
        stream_id = stream_id_of(cls, aggregate_id)
        if stream_id not in self._tracked:
            presumed = self._streams.presume_new(cls, stream_id, aggregate_id)
            if presumed is not None:
                self._tracked[stream_id] = presumed
                return presumed
        return await self.load(cls, aggregate_id)

    async def load_pair(self, first: type[A], first_id: str, second: type[B], second_id: str) -> tuple[A, B]:
        """`load` of two aggregates, in one statement when neither is tracked yet (a command that
        changes one and reads the other pays one round trip for both)."""
        first_stream, second_stream = stream_id_of(first, first_id), stream_id_of(second, second_id)
        if first_stream == second_stream or {first_stream, second_stream} & self._tracked.keys():
            return await self.load(first, first_id), await self.load(second, second_id)
        one = self._streams.lookup(first, first_stream, first_id)
        two = self._streams.lookup(second, second_stream, second_id)
        if one is not None or two is not None:  # the other one alone, if the cache lacks it
            if one is not None:
                self._tracked[first_stream] = one
            if two is not None:
                self._tracked[second_stream] = two
            return await self.load(first, first_id), await self.load(second, second_id)
        one, two = await self._reader.load_pair(first, first_id, second, second_id)
        self._tracked[first_stream], self._tracked[second_stream] = one, two
        return one, two

    def add(self, aggregate: Aggregate) -> None:
        """Track an aggregate created in this unit of work (loaded ones are tracked already)."""
        stream_id = f"{aggregate.stream_type}-{aggregate.id}"
        self._tracked[stream_id] = aggregate
        self._streams.added(stream_id, aggregate)

    async def flush(self) -> None:
        """Append pending events and outbox rows; called once, just before commit (in one-statement
        mode this is the commit)."""
        await self.flush_events()
        if not self._one_statement:
            self._outbox_rows += await write_outbox(self._conn, self._outgoing, self._topic_prefix)
            self._outgoing = []
            return
        outbox = stage_outbox(self._outgoing, self._topic_prefix)
        unchanged = self._streams.to_check()
        if not (self._staged or outbox.topics or self._inbox or self._writes or unchanged):
            return  # it only read, and not from the cache
        committed = await kernel_commit(
            self._conn, self._staged, self._snapshots, outbox, self._inbox, self._writes, unchanged
        )
        self._last_position = committed.last_position
        self._outbox_rows = outbox_rows(outbox, committed.outbox_ids)
        self._outgoing = []

    async def flush_events(self) -> None:
        """Append the pending events of every tracked aggregate, with the current correlation and
        causation: a consumer applying a batch calls it after each message's handler, and leaves the
        outbox rows (their envelopes carry their own correlation) to one insert at commit."""
        metadata = event_metadata(self._producer)
        for stream_id, aggregate in self._tracked.items():
            pending = aggregate.take_pending()
            if not pending:
                continue
            new = [
                NewEvent(e.event_type, e.schema_version, e.model_dump(mode="json"), metadata) for e in pending
            ]
            loaded = aggregate.version
            if self._one_statement:
                staged = self._staged.setdefault(stream_id, StagedStream(aggregate.stream_type, loaded))
                staged.events += new
                aggregate.version = loaded + len(new)
                self._staged_count += len(new)
            else:
                aggregate.version, last = await self._store.append_at(
                    self._conn, stream_id, aggregate.stream_type, loaded, new
                )
                EVENTS_APPENDED.inc(len(new))
                if last is not None and (self._last_position is None or last > self._last_position):
                    self._last_position = last
            self._written_streams.add(stream_id)
            self._written_types.update(e.event_type for e in new)
            self._streams.appending(stream_id, new)
            if isinstance(aggregate, SnapshottingAggregate) and aggregate.passes_snapshot_point(
                loaded, aggregate.version
            ):
                await self._snapshot(stream_id, aggregate)

    async def _snapshot(self, stream_id: str, aggregate: SnapshottingAggregate) -> None:
        state: dict[str, Any] = aggregate.snapshot_state()
        self._streams.snapshot(stream_id, aggregate.version, state)
        if self._one_statement:
            self._snapshots[stream_id] = StagedSnapshot(aggregate.version, aggregate.snapshot_version, state)
        else:
            await save_snapshot(self._conn, stream_id, aggregate.version, aggregate.snapshot_version, state)


class Database:
    """A service's own database: its pool, its event store, and units of work on it."""

    def __init__(
        self, dsn: str, *, producer: str, topic_prefix: str = "", stream_cache: int | None = None
    ) -> None:
        """`stream_cache`: how many streams this process keeps in memory for its units of work
        (`stream_cache.py`; 0 keeps none); by default `STREAM_CACHE_SIZE`, or 1024."""
        self.dsn = dsn
        self.store = EventStore()
        self.producer = producer
        self.topic_prefix = topic_prefix
        self.signals = CommitSignals()
        """What this process's units of work commit, for its relay, runners and waiting requests."""
        self.adapters = Adapters()
        """The service's adapters for its own tables (`port.py`), provided by its bootstrap."""
        self._transactional: set[object] = set()
        """Commands that asked for their unit's connection: they run in a transaction."""
        self._pool = PoolSlot("database is not open")
        size = _stream_cache_size() if stream_cache is None else stream_cache
        self.stream_cache = StreamCache(size) if size > 0 else None

    async def open(self, ddl: Iterable[str] = (), *, min_size: int = 2, max_size: int = 10) -> None:
        """Connect and create the kernel's and the service's tables."""
        pool = self._pool.fill(await create_pool(self.dsn, min_size=min_size, max_size=max_size))
        await migrate(pool, ddl)

    async def close(self) -> None:
        await self._pool.close()

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool.pool

    async def read(self, cls: type[A], aggregate_id: str) -> A:
        """An aggregate as committed, for a read-only request: its statements run straight on the
        pool, without a transaction (a stream read is one statement; a snapshot and its tail, two,
        and the tail is read after the snapshot, so they fit together)."""
        async with self.connection() as conn:
            return await self._reader(conn).load(cls, aggregate_id)

    async def read_newer(self, cls: type[A], aggregate_id: str, than_version: int) -> A:
        """The aggregate at a version after `than_version` if this process holds one (for a caller
        woken by this process's commit of the stream: the cache has at least that commit), else as
        the store has it. What the caller then decides still sticks only through versioned appends."""
        if self.stream_cache is not None:
            kept = self.stream_cache.peek(stream_id_of(cls, aggregate_id))
            if kept is not None and kept.version > than_version and kept.fits(cls):
                return kept.rebuild(cls, aggregate_id)
        return await self.read(cls, aggregate_id)

    async def read_pair(self, first: type[A], first_id: str, second: type[B], second_id: str) -> tuple[A, B]:
        """Two aggregates as committed (neither snapshotting), read in one statement without a
        transaction: a read-only request needing both costs one round trip."""
        async with self.connection() as conn:
            return await self._reader(conn).load_pair(first, first_id, second, second_id)

    def adapter(self, port: Port[T]) -> T:
        """The service's adapter for `port` built on the database (for reads outside a unit)."""
        return self.adapters.build(port, self)

    async def history_page(
        self, cls: type[Aggregate], aggregate_id: str, event_types: Sequence[str], limit: int, offset: int
    ) -> tuple[list[VersionedEvent], int]:
        """A page of one aggregate's events of `event_types`, oldest first, and their count (one
        statement on the pool)."""
        return await AggregateReader(self.pool, self.store).history_page(
            cls, aggregate_id, event_types, limit, offset
        )

    async def find_events(
        self, cls: type[Aggregate], aggregate_id: str, event_type: str, field: str, value: str
    ) -> list[VersionedEvent]:
        """One aggregate's events of `event_type` whose `field` is `value` (matched by the server)."""
        return await AggregateReader(self.pool, self.store).find(cls, aggregate_id, event_type, field, value)

    def _reader(self, conn: DbConnection) -> AggregateReader:
        """A reader on `conn` that keeps what it reads in the stream cache (when there is one)."""
        return AggregateReader(conn, self.store, None if self.stream_cache is None else self.stream_cache.put)

    @asynccontextmanager
    async def unit_of_work(
        self, conn: DbConnection | None = None, *, one_statement: bool = False
    ) -> AsyncIterator[PostgresUnitOfWork]:
        """A unit of work that commits on normal exit and writes nothing on error.

        Given `conn`, runs on the caller's connection (the consumer passes its own, so the inbox row
        joins the same transaction); otherwise takes one from the pool. `one_statement`: no
        transaction, the whole write in one statement at the end (see `PostgresUnitOfWork`).
        """
        if conn is not None:
            async with self._unit(conn, one_statement) as uow:
                yield uow
            return
        async with self.connection() as acquired, self._unit(acquired, one_statement) as uow:
            yield uow

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[DbConnection]:
        """A pooled connection, closed instead of reused when it fails at the connection level.

        The pool's connections skip asyncpg's reset query (`create_pool`), so nothing else would
        notice one whose server went away mid-statement (PostgreSQL killed): it would go back to the
        pool and fail the next request that took it."""
        async with self.pool.acquire() as conn:
            try:
                yield conn
            except BROKEN_CONNECTION:
                conn.terminate()
                raise

    @asynccontextmanager
    async def _unit(self, conn: DbConnection, one_statement: bool) -> AsyncIterator[PostgresUnitOfWork]:
        uow = PostgresUnitOfWork(
            conn,
            self.store,
            self.producer,
            self.topic_prefix,
            self.signals,
            one_statement=one_statement,
            cache=self.stream_cache,
            adapters=self.adapters,
        )
        try:
            if one_statement:
                yield uow
                await uow.flush()
            else:
                async with conn.transaction():
                    yield uow
                    await uow.flush()
        except Exception as exc:
            uow._failed()
            if uow.read_from_cache and not isinstance(exc, ConcurrencyError | NeedsTransaction):
                # Decided on streams that may be stale: let it be decided again on fresh reads.
                raise CachedReadSuspect(exc) from exc
            if isinstance(exc, ConcurrencyError) and uow.presumed_new(exc.stream_id):
                # A stream presumed new exists: read it, at once (nobody is racing to wait for).
                raise CachedReadSuspect(exc) from exc
            raise
        except BaseException:
            uow._failed()
            raise
        uow._committed()

    def in_one_statement(self, command: object) -> bool:
        """Whether `command` (a function: its code object identifies it) has not yet needed a
        transaction (`NeedsTransaction`)."""
        return _identity(command) not in self._transactional

    def needs_transaction(self, command: object) -> None:
        self._transactional.add(_identity(command))

    async def run(
        self,
        command: Callable[[PostgresUnitOfWork], Awaitable[T]],
        *,
        known: Sequence[Aggregate] = (),
        attempts: int = 40,
        conn: DbConnection | None = None,
    ) -> T:
        """Run `command` in a unit of work, retrying from a fresh read on a concurrency conflict.

        The unit is written in one statement unless the command asks for the connection (it then
        runs again in a transaction, and always will). Each conflict means another writer of the
        same stream won; with N writers racing, the last needs N tries, so the budget is generous
        and the backoff jittered (capped at 50 ms) to let the winners' transactions finish. Only
        when it runs out does the caller see a 409.

        `known` (`EventDatabase.run`): the first attempt starts from them, which is no weaker than
        reading them in the unit: at READ COMMITTED that read, too, shows what was committed when it
        ran, and only the versioned appends make a decision stick. `conn`: run on the caller's
        connection (one holding a session lock, say) instead of one from the pool.
        """
        attempt, first_time = 1, known
        while True:
            one_statement = self.in_one_statement(command)
            try:
                async with self.unit_of_work(conn, one_statement=one_statement) as uow:
                    start_from_known(uow, first_time)
                    first_time = ()  # any attempt after this one reads afresh
                    return await command(uow)
            except NeedsTransaction:
                self.needs_transaction(command)
            except ConcurrencyError:
                if attempt >= attempts:
                    raise
                log.debug("concurrency conflict, retrying (attempt %d)", attempt)
                await asyncio.sleep(random.uniform(0, min(0.05, 0.002 * 2 ** min(attempt, 5))))
                attempt += 1


def _stream_cache_size() -> int:
    raw = os.environ.get("STREAM_CACHE_SIZE", "1024").strip()
    if not raw.isdigit():
        raise ValueError(f"STREAM_CACHE_SIZE must be a whole number of streams (0: no cache), not {raw!r}")
    return int(raw)


def _identity(command: object) -> object:
    """A closure's code object is the same for every call of the function defining it."""
    return getattr(command, "__code__", None) or getattr(command, "__func__", None) or command
