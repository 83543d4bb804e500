"""Streams a unit of work need not read again: the last committed records of recent streams, in memory.

Every unit of work loads the aggregates it changes, and in a checkout the same streams (the order,
the payment's transaction, the product's stock) are loaded again by each of the messages and
requests that follow: one statement each, and the decoding of every event. This process keeps what
it last read or committed of a stream, and a one-statement unit of work starts from that instead.

It is a cache, never the truth, and may be stale: another instance of the service, or an admin
tool, may have appended since. So nothing decided on a cached stream sticks unless the store agrees
at commit: a stream the unit appends to states the version it was loaded at (as always); a stream it
only read is checked in the same `kernel_commit` call (its version must not have moved). A unit
that read from the cache and fails for any other reason (a domain error, a message not ready) is
run again from fresh reads (`CachedReadSuspect`), and every stream it touched is forgotten.

Records are kept as JSON bytes and decoded on every use, so no two aggregates ever share an object
(an aggregate that kept a list from an event and changed it would otherwise change the cache).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from shared.domain.aggregate import Aggregate
from shared.domain.snapshots import SnapshottingAggregate
from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.snapshots import Snapshot
from shared.eventstore.store import RecordedEvent
from shared.metrics import AGGREGATE_CACHE

A = TypeVar("A", bound=Aggregate)


class CachedReadSuspect(ConcurrencyError):
    """A unit of work that started from cached streams failed: run it again from fresh reads."""

    def __init__(self, error: Exception) -> None:
        Exception.__init__(self, f"a unit of work that read cached streams failed ({error!r})")
        self.stream_id = "?"
        self.expected_version = 0


@dataclass(frozen=True)
class CachedRecord:
    event_type: str
    schema_version: int
    data: bytes


@dataclass(frozen=True)
class CachedStream:
    """A stream as committed at `version`: its snapshot (if the aggregate keeps them) and the records
    after it."""

    version: int
    snapshot_shape: int | None
    snapshot_at: int
    snapshot_state: bytes | None
    records: tuple[CachedRecord, ...]

    @classmethod
    def empty(cls, aggregate_cls: type[Aggregate]) -> CachedStream:
        return cls(0, _shape(aggregate_cls), 0, None, ())

    @classmethod
    def read(
        cls, aggregate_cls: type[Aggregate], snapshot: Snapshot | None, records: Sequence[RecordedEvent]
    ) -> CachedStream:
        """What a fresh read gave: the snapshot (if any) and the records after it."""
        at = 0 if snapshot is None else snapshot.version
        return cls(
            at + len(records),
            _shape(aggregate_cls),
            at,
            None if snapshot is None else orjson.dumps(snapshot.state),
            tuple(CachedRecord(r.event_type, r.schema_version, orjson.dumps(r.data)) for r in records),
        )

    def fits(self, aggregate_cls: type[Aggregate]) -> bool:
        return self.snapshot_shape == _shape(aggregate_cls)

    def rebuild(self, aggregate_cls: type[A], aggregate_id: str) -> A:
        if self.snapshot_state is None:
            aggregate = aggregate_cls(aggregate_id)
        else:
            assert issubclass(aggregate_cls, SnapshottingAggregate)
            state = orjson.loads(self.snapshot_state)
            aggregate = aggregate_cls.from_snapshot(aggregate_id, self.snapshot_at, state)
        registry = aggregate_cls.registry
        aggregate.catch_up(
            registry.load(r.event_type, r.schema_version, orjson.loads(r.data)) for r in self.records
        )
        return aggregate

    def extended(
        self, appended: Iterable[tuple[str, int, dict[str, Any]]], snapshot: tuple[int, dict[str, Any]] | None
    ) -> CachedStream:
        """This stream after a commit appended `appended` (and took `snapshot`, if one)."""
        new = tuple(CachedRecord(t, v, orjson.dumps(d)) for t, v, d in appended)
        version = self.version + len(new)
        if snapshot is not None and snapshot[0] == version:
            return CachedStream(version, self.snapshot_shape, version, orjson.dumps(snapshot[1]), ())
        records = self.records + new
        return CachedStream(version, self.snapshot_shape, self.snapshot_at, self.snapshot_state, records)


def _shape(aggregate_cls: type[Aggregate]) -> int | None:
    return aggregate_cls.snapshot_version if issubclass(aggregate_cls, SnapshottingAggregate) else None


class StreamCache:
    """The most recently used streams of this process, at most `size` of them."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._streams: OrderedDict[str, CachedStream] = OrderedDict()
        self._refuted: OrderedDict[str, None] = OrderedDict()
        """Streams presumed new by a unit that then failed: the next presumption reads them."""

    def __len__(self) -> int:
        return len(self._streams)

    def get(self, stream_id: str, aggregate_cls: type[Aggregate]) -> CachedStream | None:
        cached = self._streams.get(stream_id)
        if cached is None or not cached.fits(aggregate_cls):
            AGGREGATE_CACHE.labels("miss").inc()
            return None
        self._streams.move_to_end(stream_id)
        AGGREGATE_CACHE.labels("hit").inc()
        return cached

    def peek(self, stream_id: str) -> CachedStream | None:
        """The stream if kept, without counting a use."""
        return self._streams.get(stream_id)

    def put(self, stream_id: str, stream: CachedStream) -> None:
        """Remember a stream as committed; never replaces a later version by an earlier one (a read
        that began before another unit's commit may end after it). A stream with no events is not
        kept: a message for an order not placed yet would find it there again and again."""
        if stream.version == 0:
            return
        known = self._streams.get(stream_id)
        if known is not None and known.version > stream.version:
            return
        self._streams[stream_id] = stream
        self._streams.move_to_end(stream_id)
        while len(self._streams) > self._size:
            self._streams.popitem(last=False)

    def presumable(self, stream_id: str) -> bool:
        """Whether a unit may presume the stream new (`load_new`): this process knows nothing of it,
        neither as committed nor from a presumption that failed."""
        return stream_id not in self._streams and stream_id not in self._refuted

    def refuted(self, stream_ids: Iterable[str]) -> None:
        """Streams presumed new by a unit that failed (most likely they exist): read them next time."""
        for stream_id in stream_ids:
            self._refuted[stream_id] = None
            self._refuted.move_to_end(stream_id)
        while len(self._refuted) > self._size:
            self._refuted.popitem(last=False)

    def forget(self, stream_ids: Iterable[str]) -> None:
        for stream_id in stream_ids:
            if self._streams.pop(stream_id, None) is not None:
                AGGREGATE_CACHE.labels("forgotten").inc()
