"""The event store on asyncpg: append with an expected version, read a stream, follow the log."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from shared.contracts.envelope import utc_now
from shared.eventstore.database import DbConnection, Executor
from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.positions import FINISHED_TRANSACTIONS, LOG_START, LogPosition
from shared.eventstore.snapshots import Snapshot


@dataclass(frozen=True)
class NewEvent:
    """An event about to be appended, already serialised to a JSON-ready dict."""

    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)
    event_id: UUID = field(default_factory=uuid4)
    occurred_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True)
class RecordedEvent:
    """An event as stored, with its place in its stream and in the service's log."""

    position: int
    transaction_id: int
    stream_id: str
    stream_type: str
    version: int
    event_id: UUID
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    occurred_at: datetime

    @property
    def log_position(self) -> LogPosition:
        return LogPosition(self.transaction_id, self.position)


_COLUMNS = (
    "position, transaction_id, stream_id, stream_type, version, event_id, event_type,"
    " schema_version, data, metadata, occurred_at"
)

# One round trip: bump the stream's version only if it is still the expected one, and insert the
# events only if the bump happened. A stale expected version inserts nothing.
_APPEND = """
WITH bump AS (
    INSERT INTO streams (stream_id, stream_type, version) VALUES ($1::text, $2::text, $3::int + $4::int)
    ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version
        WHERE streams.version = $3::int
    RETURNING version
)
INSERT INTO events (stream_id, stream_type, version, event_id, event_type, schema_version,
                    data, metadata, occurred_at)
SELECT $1, $2, $3 + e.ord::int, e.event_id, e.event_type, e.schema_version, e.data, e.metadata,
       e.occurred_at
FROM unnest($5::uuid[], $6::text[], $7::int[], $8::jsonb[], $9::jsonb[], $10::timestamptz[])
     WITH ORDINALITY AS e(event_id, event_type, schema_version, data, metadata, occurred_at, ord)
WHERE EXISTS (SELECT 1 FROM bump)
RETURNING transaction_id, position
"""

_READ_STREAM = f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 AND version > $2 ORDER BY version"  # noqa: S608
# A snapshotting aggregate in one round trip: its snapshot of shape $2 (if any) on every row, and the
# events after it; one row with no event when there are none. One statement, so one view of both.
_READ_FROM_SNAPSHOT = f"""
SELECT s.version AS snapshot_at, s.state AS snapshot_state, e.*
FROM (SELECT 1) AS one
LEFT JOIN snapshots AS s ON s.stream_id = $1 AND s.snapshot_version = $2
LEFT JOIN LATERAL (
    SELECT {_COLUMNS} FROM events
    WHERE stream_id = $1 AND version > coalesce(s.version, 0) ORDER BY version
) AS e ON true
"""  # noqa: S608
# Several streams in one round trip, each as `_READ_FROM_SNAPSHOT` reads one: its snapshot of the shape
# asked for (NULL asks for none: the whole stream) on every row, and the events after it; one row with
# no event for a stream with none. `wanted` says which stream a row belongs to. Each snapshot is looked
# up by its key (`LIMIT 1` keeps the planner from turning the lookup into a join that scans the table).
_READ_MANY_FROM_SNAPSHOTS = f"""
SELECT w.stream_id AS wanted, s.version AS snapshot_at, s.state AS snapshot_state, e.*
FROM unnest($1::text[], $2::int[]) AS w(stream_id, snapshot_version)
LEFT JOIN LATERAL (
    SELECT version, state FROM snapshots
    WHERE stream_id = w.stream_id AND snapshot_version = w.snapshot_version LIMIT 1
) AS s ON true
LEFT JOIN LATERAL (
    SELECT {_COLUMNS} FROM events
    WHERE stream_id = w.stream_id AND version > coalesce(s.version, 0) ORDER BY version
) AS e ON true
"""  # noqa: S608
# A page of one stream's events of some types, and how many there are in all (one statement: the
# window function counts the rows the filter keeps before LIMIT cuts them).
_READ_STREAM_PAGE = f"""
SELECT count(*) OVER () AS matching, {_COLUMNS} FROM events
WHERE stream_id = $1 AND event_type = ANY($2::text[]) ORDER BY version LIMIT $3 OFFSET $4
"""  # noqa: S608
_FIND_IN_STREAM = f"""
SELECT {_COLUMNS} FROM events
WHERE stream_id = $1 AND event_type = $2 AND data ->> $3 = $4 ORDER BY version
"""  # noqa: S608
_COUNT_STREAM = "SELECT count(*) FROM events WHERE stream_id = $1 AND event_type = ANY($2::text[])"
_READ_STREAMS = f"SELECT {_COLUMNS} FROM events WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, version"  # noqa: S608

_LOG_PAGE = f"""
FROM events
WHERE (transaction_id, position) > ($1, $2) AND {FINISHED_TRANSACTIONS}
ORDER BY transaction_id, position
LIMIT $3
"""
_READ_LOG = f"SELECT {_COLUMNS}{_LOG_PAGE}"
_READ_LOG_OF_TYPES = (
    "SELECT position, transaction_id, stream_id, stream_type, version, event_id, event_type, schema_version,"
    " CASE WHEN event_type = ANY($4::text[]) THEN data ELSE '{}' END,"
    " CASE WHEN event_type = ANY($4::text[]) THEN metadata ELSE '{}' END, occurred_at" + _LOG_PAGE
)
"""`_READ_LOG` whose events of other types come without their data and metadata (`{}`): a reader
folding a few types steps over the others without PostgreSQL detoasting and printing their JSON or
this process parsing it."""

_HEAD = f"""
SELECT transaction_id, position FROM events
WHERE {FINISHED_TRANSACTIONS}
ORDER BY transaction_id DESC, position DESC LIMIT 1
"""  # noqa: S608


def event_columns(events: Sequence[NewEvent]) -> tuple[list[Any], ...]:
    """The events as the columns an `unnest` insert takes: ids, types, schema versions, data,
    metadata, times."""
    return (
        [e.event_id for e in events],
        [e.event_type for e in events],
        [e.schema_version for e in events],
        [e.data for e in events],
        [e.metadata for e in events],
        [e.occurred_at for e in events],
    )


def _recorded(row: asyncpg.Record) -> RecordedEvent:
    """Positional: the query selects `_COLUMNS` in the dataclass's field order (4x faster than by name,
    which mattered in the bench profile of a projection rebuild)."""
    return RecordedEvent(*row)


class EventStore:
    """Stateless operations on a service's `events` table; callers own connections and transactions."""

    async def append(
        self,
        conn: DbConnection,
        stream_id: str,
        stream_type: str,
        expected_version: int,
        events: Sequence[NewEvent],
    ) -> int:
        """Append `events` after `expected_version`; returns the stream's new version.

        Raises ConcurrencyError when the stream moved on since it was read (or a new stream
        already exists), in which case nothing was written.
        """
        version, _ = await self.append_at(conn, stream_id, stream_type, expected_version, events)
        return version

    async def append_at(
        self,
        conn: DbConnection,
        stream_id: str,
        stream_type: str,
        expected_version: int,
        events: Sequence[NewEvent],
    ) -> tuple[int, LogPosition | None]:
        """`append`, also returning the log position of the last event written (None for no events):
        what in-process log readers are woken up to reach once the transaction commits."""
        if not events:
            return expected_version, None
        try:
            rows = await conn.fetch(
                _APPEND,
                stream_id,
                stream_type,
                expected_version,
                len(events),
                *event_columns(events),
            )
        except asyncpg.UniqueViolationError as exc:
            raise ConcurrencyError(stream_id, expected_version) from exc
        if len(rows) != len(events):
            raise ConcurrencyError(stream_id, expected_version)
        last = max(LogPosition(row["transaction_id"], row["position"]) for row in rows)
        return expected_version + len(events), last

    async def read_stream(self, db: Executor, stream_id: str, after_version: int = 0) -> list[RecordedEvent]:
        rows = await db.fetch(_READ_STREAM, stream_id, after_version)
        return [_recorded(r) for r in rows]

    async def read_from_snapshot(
        self, db: Executor, stream_id: str, snapshot_version: int
    ) -> tuple[Snapshot | None, list[RecordedEvent]]:
        """A stream's latest snapshot of shape `snapshot_version` (None if there is none) and its
        events after it, in one statement."""
        rows = await db.fetch(_READ_FROM_SNAPSHOT, stream_id, snapshot_version)
        first = rows[0]  # the outer row is always there
        snapshot = (
            None if first["snapshot_at"] is None else Snapshot(first["snapshot_at"], first["snapshot_state"])
        )
        events = [RecordedEvent(*tuple(r)[2:]) for r in rows if r["position"] is not None]
        return snapshot, events

    async def read_many_from_snapshots(
        self, db: Executor, wanted: Sequence[tuple[str, int | None]]
    ) -> dict[str, tuple[Snapshot | None, list[RecordedEvent]]]:
        """`read_from_snapshot` for several streams in one statement (one view of all of them):
        `wanted` pairs each stream id with the snapshot shape to start from, or None for the whole
        stream."""
        rows = await db.fetch(
            _READ_MANY_FROM_SNAPSHOTS, [stream_id for stream_id, _ in wanted], [shape for _, shape in wanted]
        )
        found: dict[str, tuple[Snapshot | None, list[RecordedEvent]]] = {}
        for row in rows:
            stream_id = row["wanted"]
            if stream_id not in found:
                at = row["snapshot_at"]
                found[stream_id] = (None if at is None else Snapshot(at, row["snapshot_state"]), [])
            if row["position"] is not None:
                found[stream_id][1].append(RecordedEvent(*tuple(row)[3:]))
        return found

    async def read_stream_page(
        self, db: Executor, stream_id: str, event_types: Sequence[str], limit: int, offset: int
    ) -> tuple[list[RecordedEvent], int]:
        """A page of a stream's events of `event_types`, oldest first, and how many there are in all:
        a history listed page by page costs the page, not the whole stream."""
        rows = await db.fetch(_READ_STREAM_PAGE, stream_id, list(event_types), limit, offset)
        if rows:  # the count first, then the event's columns in RecordedEvent's order
            return [RecordedEvent(*tuple(r)[1:]) for r in rows], int(rows[0]["matching"])
        return [], int(await db.fetchval(_COUNT_STREAM, stream_id, list(event_types)) or 0)

    async def find_in_stream(
        self, db: Executor, stream_id: str, event_type: str, field: str, value: str
    ) -> list[RecordedEvent]:
        """A stream's events of `event_type` whose data's `field` is `value` (decoded by the server,
        so finding one entry of a long history sends only that entry)."""
        return [_recorded(r) for r in await db.fetch(_FIND_IN_STREAM, stream_id, event_type, field, value)]

    async def read_streams(self, db: Executor, stream_ids: Sequence[str]) -> dict[str, list[RecordedEvent]]:
        """Several whole streams in one round trip (a projection folding a batch), by stream id."""
        streams: dict[str, list[RecordedEvent]] = {stream_id: [] for stream_id in stream_ids}
        for row in await db.fetch(_READ_STREAMS, list(stream_ids)):
            streams[row["stream_id"]].append(_recorded(row))
        return streams

    async def stream_version(self, db: Executor, stream_id: str) -> int:
        version = await db.fetchval("SELECT version FROM streams WHERE stream_id = $1", stream_id)
        return int(version or 0)

    async def read_log(
        self,
        db: Executor,
        after: LogPosition = LOG_START,
        limit: int = 1000,
        types: Collection[str] | None = None,
    ) -> list[RecordedEvent]:
        """Events after `after` in log order, only from transactions that can no longer change.

        With `types`, events of any other type are still listed (a reader's position passes them) but
        their `data` and `metadata` are empty."""
        at = (after.transaction_id, after.position)
        if types is None:
            rows = await db.fetch(_READ_LOG, *at, limit)
        else:
            rows = await db.fetch(_READ_LOG_OF_TYPES, *at, limit, list(types))
        return [_recorded(r) for r in rows]

    async def head(self, db: Executor) -> LogPosition:
        """The last position a log reader can currently reach."""
        row = await db.fetchrow(_HEAD)
        return LOG_START if row is None else LogPosition(row["transaction_id"], row["position"])
