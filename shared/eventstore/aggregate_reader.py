"""Loading aggregates from their streams (and snapshots), inside a transaction or outside one.

A unit of work loads what it is about to change inside its transaction; a read-only request loads
the same way straight from the pool, with no BEGIN/COMMIT around its one statement (a snapshotting
aggregate's snapshot and the events after it come in one, too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from shared.contracts.registry import VersionedEvent
from shared.domain.aggregate import Aggregate
from shared.domain.snapshots import SnapshottingAggregate
from shared.eventstore.database import Executor
from shared.eventstore.snapshots import Snapshot
from shared.eventstore.store import EventStore, RecordedEvent
from shared.eventstore.stream_cache import CachedStream

A = TypeVar("A", bound=Aggregate)
B = TypeVar("B", bound=Aggregate)
StreamRead = tuple[Snapshot | None, Sequence[RecordedEvent]]
"""A stream as read: the snapshot it starts from (None: from the first event), the events after it."""


def stream_id_of(cls: type[Aggregate], aggregate_id: str) -> str:
    return f"{cls.stream_type}-{aggregate_id}"


def _shape(cls: type[Aggregate]) -> int | None:
    """The snapshot shape to start `cls` from; None for an aggregate that keeps none."""
    return cls.snapshot_version if issubclass(cls, SnapshottingAggregate) else None


def _rebuilt(
    cls: type[A], aggregate_id: str, snapshot: Snapshot | None, records: Sequence[RecordedEvent]
) -> A:
    """The aggregate from its snapshot (if it keeps them and has one) and the events after it."""
    if snapshot is None:
        aggregate = cls(aggregate_id)
    else:
        assert issubclass(cls, SnapshottingAggregate)  # only their streams are read from a snapshot
        aggregate = cls.from_snapshot(aggregate_id, snapshot.version, snapshot.state)
    aggregate.catch_up([cls.registry.load(r.event_type, r.schema_version, r.data) for r in records])
    return aggregate


class AggregateReader:
    """Reads aggregates through one executor: a transaction's connection, or the pool.

    `remember`: told each stream read whole (its id and `CachedStream`), to keep for later units of
    work (the process's stream cache); streams are encoded for it only when it is given.
    """

    def __init__(
        self, db: Executor, store: EventStore, remember: Callable[[str, CachedStream], None] | None = None
    ) -> None:
        self._db = db
        self._store = store
        self._remember = remember

    async def history(
        self, cls: type[Aggregate], aggregate_id: str, after_version: int = 0
    ) -> list[VersionedEvent]:
        """The committed events of one aggregate (those after `after_version`), upcast and decoded."""
        records = await self._store.read_stream(self._db, stream_id_of(cls, aggregate_id), after_version)
        return [cls.registry.load(r.event_type, r.schema_version, r.data) for r in records]

    async def history_page(
        self, cls: type[Aggregate], aggregate_id: str, event_types: Sequence[str], limit: int, offset: int
    ) -> tuple[list[VersionedEvent], int]:
        """A page of one aggregate's events of `event_types` (oldest first), decoded, and their count."""
        records, total = await self._store.read_stream_page(
            self._db, stream_id_of(cls, aggregate_id), event_types, limit, offset
        )
        return [cls.registry.load(r.event_type, r.schema_version, r.data) for r in records], total

    async def find(
        self, cls: type[Aggregate], aggregate_id: str, event_type: str, field: str, value: str
    ) -> list[VersionedEvent]:
        """One aggregate's events of `event_type` whose `field` is `value`, decoded."""
        records = await self._store.find_in_stream(
            self._db, stream_id_of(cls, aggregate_id), event_type, field, value
        )
        return [cls.registry.load(r.event_type, r.schema_version, r.data) for r in records]

    async def load(self, cls: type[A], aggregate_id: str) -> A:
        """The aggregate rebuilt from its stream (a new, empty one if the stream does not exist)."""
        read = await self._read(cls, aggregate_id)
        self._kept(cls, aggregate_id, read)
        return _rebuilt(cls, aggregate_id, *read)

    async def load_pair(self, first: type[A], first_id: str, second: type[B], second_id: str) -> tuple[A, B]:
        """Two aggregates in one statement, so in one view of the store (each from its snapshot if it
        keeps them): a request that needs both pays one round trip, not one after the other."""
        one, two = await self._read_pair(first, first_id, second, second_id)
        self._kept(first, first_id, one)
        self._kept(second, second_id, two)
        return _rebuilt(first, first_id, *one), _rebuilt(second, second_id, *two)

    def _kept(self, cls: type[Aggregate], aggregate_id: str, read: StreamRead) -> None:
        if self._remember is not None:
            self._remember(stream_id_of(cls, aggregate_id), CachedStream.read(cls, *read))

    async def _read(self, cls: type[Aggregate], aggregate_id: str) -> StreamRead:
        """One stream: from its latest snapshot of `cls`'s shape (if it keeps them), in one statement."""
        stream_id, shape = stream_id_of(cls, aggregate_id), _shape(cls)
        if shape is None:
            return None, await self._store.read_stream(self._db, stream_id, 0)
        return await self._store.read_from_snapshot(self._db, stream_id, shape)

    async def _read_pair(
        self, first: type[Aggregate], first_id: str, second: type[Aggregate], second_id: str
    ) -> tuple[StreamRead, StreamRead]:
        first_stream, second_stream = stream_id_of(first, first_id), stream_id_of(second, second_id)
        streams = await self._store.read_many_from_snapshots(
            self._db, [(first_stream, _shape(first)), (second_stream, _shape(second))]
        )
        return streams[first_stream], streams[second_stream]
