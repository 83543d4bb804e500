"""An event store, unit of work and database in memory: the fast test tier's stand-in for PostgreSQL.

It keeps the promises application code relies on, checked by the same contract suite as
PostgreSQL's (tests/contract): a unit commits all its appends, outbox messages and inbox rows or
none; an append states the version it loaded, so a stream that moved on meanwhile fails the commit
(`ConcurrencyError`) and `run` retries from a fresh read; events reach a log in commit order; a
message applied once by a consumer is refused the second time. Events and envelopes go through
their JSON form and the registry's upcasters, as they do through PostgreSQL, so a handler never
shares an object with the store.

What it does not have: snapshots (aggregates rebuild from every event), the stream cache, the
service's own tables (`NeedsPostgres`), durability, and other processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

import orjson

from shared.contracts.envelope import Envelope
from shared.contracts.registry import VersionedEvent
from shared.domain.aggregate import Aggregate
from shared.eventstore.aggregate_reader import stream_id_of
from shared.eventstore.commit_signals import Commit, CommitSignals, OutboxRow
from shared.eventstore.database import DbConnection
from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.outgoing import event_metadata
from shared.eventstore.port import Adapters, NeedsPostgres, Port
from shared.eventstore.positions import LogPosition
from shared.eventstore.store import NewEvent, RecordedEvent
from shared.eventstore.unit_basics import UnitBasics, start_from_known
from shared.outbox.writer import outbox_rows, stage_outbox

A = TypeVar("A", bound=Aggregate)
B = TypeVar("B", bound=Aggregate)
T = TypeVar("T")


@dataclass(frozen=True)
class StreamAppend:
    stream_type: str
    expected_version: int
    events: list[NewEvent]


@dataclass
class InMemoryStore:
    """What has been committed: streams, the log in commit order, the outbox, the inbox."""

    streams: dict[str, list[RecordedEvent]] = field(default_factory=dict)
    log: list[RecordedEvent] = field(default_factory=list)
    outbox: list[OutboxRow] = field(default_factory=list)
    inbox: set[tuple[str, UUID]] = field(default_factory=set)
    _transactions: int = 0

    def version(self, stream_id: str) -> int:
        return len(self.streams.get(stream_id, ()))

    def commit(
        self,
        appends: dict[str, StreamAppend],
        outgoing: list[tuple[str, Envelope]],
        inbox: tuple[str, list[UUID]] | None,
        topic_prefix: str,
    ) -> tuple[LogPosition | None, list[OutboxRow]]:
        """All of it, or ConcurrencyError and nothing: a stream not at its expected version, or an
        inbox row already there."""
        for stream_id, append in appends.items():
            if self.version(stream_id) != append.expected_version:
                raise ConcurrencyError(stream_id, append.expected_version)
        if inbox is not None and any((inbox[0], event_id) in self.inbox for event_id in inbox[1]):
            raise ConcurrencyError("inbox", 0)
        self._transactions += 1
        last: LogPosition | None = None
        for stream_id, append in appends.items():
            stream = self.streams.setdefault(stream_id, [])
            for event in append.events:
                recorded = RecordedEvent(
                    position=len(self.log) + 1,
                    transaction_id=self._transactions,
                    stream_id=stream_id,
                    stream_type=append.stream_type,
                    version=len(stream) + 1,
                    event_id=event.event_id,
                    event_type=event.event_type,
                    schema_version=event.schema_version,
                    data=orjson.loads(orjson.dumps(event.data)),
                    metadata=dict(event.metadata),
                    occurred_at=event.occurred_at,
                )
                stream.append(recorded)
                self.log.append(recorded)
                last = recorded.log_position
        if inbox is not None:
            self.inbox.update((inbox[0], event_id) for event_id in inbox[1])
        staged = stage_outbox(outgoing, topic_prefix)
        first_id = len(self.outbox) + 1
        rows = outbox_rows(staged, range(first_id, first_id + len(outgoing)))
        self.outbox += rows
        return last, rows


class InMemoryUnitOfWork(UnitBasics):
    """`port.UnitOfWork` on an `InMemoryStore`; `InMemoryDatabase.unit_of_work` commits it."""

    def __init__(
        self, store: InMemoryStore, producer: str, topic_prefix: str, adapters: Adapters | None = None
    ) -> None:
        super().__init__(producer, adapters)
        self._store = store
        self._topic_prefix = topic_prefix
        self._tracked: dict[str, Aggregate] = {}
        self._inbox: tuple[str, list[UUID]] | None = None
        self._staged: dict[str, StreamAppend] = {}

    async def load(self, cls: type[A], aggregate_id: str) -> A:
        stream_id = stream_id_of(cls, aggregate_id)
        tracked = self._tracked.get(stream_id)
        if tracked is not None:
            assert isinstance(tracked, cls)
            return tracked
        await asyncio.sleep(0)  # a read yields, as a database read would: others may commit meanwhile
        records = self._store.streams.get(stream_id, [])
        aggregate = cls.rehydrate(
            aggregate_id, [cls.registry.load(r.event_type, r.schema_version, r.data) for r in records]
        )
        self._tracked[stream_id] = aggregate
        return aggregate

    async def load_new(self, cls: type[A], aggregate_id: str) -> A:
        """In memory a read costs nothing: the stream is read, never presumed."""
        return await self.load(cls, aggregate_id)

    async def load_pair(self, first: type[A], first_id: str, second: type[B], second_id: str) -> tuple[A, B]:
        return await self.load(first, first_id), await self.load(second, second_id)

    def add(self, aggregate: Aggregate) -> None:
        self._tracked[stream_id_of(type(aggregate), aggregate.id)] = aggregate

    def record_inbox(self, consumer: str, event_ids: list[UUID], topics: list[str]) -> None:
        """A consumer's messages: the unit fails as a conflict if one of them was applied already."""
        self._inbox = (consumer, list(event_ids))

    @property
    def connection(self) -> DbConnection:
        raise NeedsPostgres("the in-memory unit of work has no SQL tables")

    @property
    def reads(self) -> DbConnection:
        raise NeedsPostgres("the in-memory unit of work has no SQL tables")

    async def write(self, statement: str, *args: Any) -> None:
        raise NeedsPostgres("the in-memory unit of work has no SQL tables")

    async def flush_events(self) -> None:
        """Stage the pending events of every tracked aggregate under the current correlation and
        causation (a consumer applying a batch calls it after each message's handler); they are
        written at commit with the rest."""
        self._stage_pending()

    def _stage_pending(self) -> None:
        metadata = event_metadata(self._producer)
        for stream_id, aggregate in self._tracked.items():
            pending = aggregate.take_pending()
            if not pending:
                continue
            new = [
                NewEvent(e.event_type, e.schema_version, e.model_dump(mode="json"), metadata) for e in pending
            ]
            staged = self._staged.setdefault(
                stream_id, StreamAppend(aggregate.stream_type, aggregate.version, [])
            )
            staged.events.extend(new)
            aggregate.version += len(new)

    def commit(self) -> Commit:
        """Write everything the unit holds; ConcurrencyError writes nothing."""
        self._stage_pending()
        appends = self._staged
        last, rows = self._store.commit(appends, self._outgoing, self._inbox, self._topic_prefix)
        return Commit(
            streams=frozenset(appends),
            event_types=frozenset(e.event_type for append in appends.values() for e in append.events),
            last_position=last,
            outbox=tuple(rows),
        )

    def committed(self) -> None:
        self._run_after_commit()


class InMemoryDatabase:
    """A service's database in memory: units of work, retries on conflict, reads, commit signals."""

    def __init__(self, *, producer: str, topic_prefix: str = "") -> None:
        self.store = InMemoryStore()
        self.producer = producer
        self.topic_prefix = topic_prefix
        self.signals = CommitSignals()
        self.adapters = Adapters()
        """In-memory adapters of the service's ports (`port.py`), provided by the test."""
        self.stream_cache = None

    @asynccontextmanager
    async def unit_of_work(self, *, one_statement: bool = False) -> AsyncIterator[InMemoryUnitOfWork]:
        """A unit that commits on normal exit and writes nothing on error (`one_statement`: accepted
        for the PostgreSQL database's callers; every in-memory unit commits at once)."""
        uow = InMemoryUnitOfWork(self.store, self.producer, self.topic_prefix, self.adapters)
        yield uow
        commit = uow.commit()
        if commit.streams or commit.outbox:
            self.signals.committed(commit)
        uow.committed()

    async def run(
        self,
        command: Callable[[InMemoryUnitOfWork], Awaitable[T]],
        *,
        known: Sequence[Aggregate] = (),
        attempts: int = 40,
    ) -> T:
        """Run `command` in a unit of work, the first time on the `known` aggregates, again from a
        fresh read after each conflict."""
        attempt, first_time = 1, known
        while True:
            try:
                async with self.unit_of_work() as uow:
                    start_from_known(uow, first_time)
                    first_time = ()  # any attempt after this one reads afresh
                    return await command(uow)
            except ConcurrencyError:
                if attempt >= attempts:
                    raise
                attempt += 1
                await asyncio.sleep(0)

    async def read(self, cls: type[A], aggregate_id: str) -> A:
        """An aggregate as committed, for a read-only request."""
        return await InMemoryUnitOfWork(self.store, self.producer, self.topic_prefix).load(cls, aggregate_id)

    async def read_newer(self, cls: type[A], aggregate_id: str, than_version: int) -> A:
        return await self.read(cls, aggregate_id)

    async def read_pair(self, first: type[A], first_id: str, second: type[B], second_id: str) -> tuple[A, B]:
        return await self.read(first, first_id), await self.read(second, second_id)

    def adapter(self, port: Port[T]) -> T:
        """The service's adapter for `port` built on the database (for reads outside a unit)."""
        return self.adapters.build(port, self)

    async def history_page(
        self, cls: type[Aggregate], aggregate_id: str, event_types: Sequence[str], limit: int, offset: int
    ) -> tuple[list[VersionedEvent], int]:
        matching = [r for r in self._history(cls, aggregate_id) if r.event_type in event_types]
        page = matching[offset : offset + limit]
        return [cls.registry.load(r.event_type, r.schema_version, r.data) for r in page], len(matching)

    async def find_events(
        self, cls: type[Aggregate], aggregate_id: str, event_type: str, field: str, value: str
    ) -> list[VersionedEvent]:
        return [
            cls.registry.load(r.event_type, r.schema_version, r.data)
            for r in self._history(cls, aggregate_id)
            if r.event_type == event_type and str(r.data.get(field)) == value
        ]

    def _history(self, cls: type[Aggregate], aggregate_id: str) -> list[RecordedEvent]:
        return list(self.store.streams.get(stream_id_of(cls, aggregate_id), ()))
