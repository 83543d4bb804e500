"""Loading aggregates from their streams (and snapshots), inside a transaction or outside one.

A unit of work loads what it is about to change inside its transaction; a read-only request loads
the same way straight from the pool, with no BEGIN/COMMIT around its one statement (a snapshotting
aggregate's snapshot and the events after it come in one, too).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from shared.contracts.registry import VersionedEvent
from shared.domain.aggregate import Aggregate
from shared.domain.snapshots import SnapshottingAggregate
from shared.eventstore.database import Executor
from shared.eventstore.store import EventStore

A = TypeVar("A", bound=Aggregate)
S = TypeVar("S", bound=SnapshottingAggregate)


def stream_id_of(cls: type[Aggregate], aggregate_id: str) -> str:
    return f"{cls.stream_type}-{aggregate_id}"


class AggregateReader:
    """Reads aggregates through one executor: a transaction's connection, or the pool."""

    def __init__(self, db: Executor, store: EventStore) -> None:
        self._db = db
        self._store = store

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
        if issubclass(cls, SnapshottingAggregate):
            aggregate: A = await self._load_from_snapshot(cls, aggregate_id)
            return aggregate
        return cls.rehydrate(aggregate_id, await self.history(cls, aggregate_id))

    async def _load_from_snapshot(self, cls: type[S], aggregate_id: str) -> S:
        """The latest snapshot (if any of this shape) and the events after it, in one statement."""
        snapshot, records = await self._store.read_from_snapshot(
            self._db, stream_id_of(cls, aggregate_id), cls.snapshot_version
        )
        if snapshot is None:
            aggregate = cls(aggregate_id)
        else:
            aggregate = cls.from_snapshot(aggregate_id, snapshot.version, snapshot.state)
        aggregate.catch_up([cls.registry.load(r.event_type, r.schema_version, r.data) for r in records])
        return aggregate
