"""A unit of work's whole write in one statement: no BEGIN, no COMMIT, one round trip.

A unit of work reads (each read its own statement, no transaction needed: the appends state the
versions they read) and then writes its inbox rows, its appends to every stream it changed, their
snapshots and its outbox rows. `kernel_commit` does all of that in one call: a function call is one
transaction, so it is all or nothing, and a stream that moved on since it was read (or an inbox row
another instance wrote first) aborts it as a conflict. It replaces BEGIN, the inbox insert, one
append per stream, the snapshot and outbox inserts and COMMIT: the benchmark's commonest unit went
from six or seven round trips to two or three. A service's own index rows beside the events (the
payment's open transactions, the cart's stock levels) go in the same call (`StagedWrite`), so those
units need no transaction either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from shared.eventstore.database import DbConnection
from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.positions import LogPosition
from shared.eventstore.store import NewEvent, event_columns


@dataclass
class StagedStream:
    stream_type: str
    expected_version: int
    events: list[NewEvent] = field(default_factory=list)


@dataclass(frozen=True)
class StagedSnapshot:
    version: int
    snapshot_version: int
    state: dict[str, Any]


@dataclass(frozen=True)
class StagedOutbox:
    topics: list[str]
    keys: list[str]
    event_ids: list[UUID]
    payloads: list[bytes]
    headers: list[dict[str, str]]


@dataclass(frozen=True)
class StagedWrite:
    """One statement of the service's own (a constant of its code, never built from input) that
    takes its arguments as one jsonb array, `$1::jsonb ->> 0` and so on; `kernel_commit` runs it with
    the unit's appends."""

    statement: str
    args: list[Any]


@dataclass(frozen=True)
class Committed:
    last_position: LogPosition | None
    outbox_ids: list[int]


_KERNEL_COMMIT = (
    "SELECT out_kind, out_a, out_b FROM kernel_commit("
    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,"
    " $20, $21, $22, $23, $24, $25, $26)"
)
"""Most units write a few of its groups (appends, snapshots, outbox, inbox, index writes, cache
checks): an empty group is sent as NULL, which the function reads as none and costs no array to
encode and decode (26 on every call before)."""


async def kernel_commit(
    conn: DbConnection,
    streams: dict[str, StagedStream],
    snapshots: dict[str, StagedSnapshot],
    outbox: StagedOutbox,
    inbox: tuple[str, Sequence[UUID], Sequence[str]] | None,
    writes: Sequence[StagedWrite] = (),
    unchanged: dict[str, int] | None = None,
) -> Committed:
    """Write everything in one statement; ConcurrencyError if a stream or an inbox row moved on, or
    a stream of `unchanged` (read from the stream cache, not appended to) is not at its version."""
    unchanged = unchanged or {}
    staged = [(stream_id, s) for stream_id, s in streams.items() if s.events]
    events = [e for _, s in staged for e in s.events]
    consumer, inbox_ids, inbox_topics = inbox if inbox is not None else (None, [], [])
    try:
        arguments = (
            [stream_id for stream_id, _ in staged],
            [s.stream_type for _, s in staged],
            [s.expected_version for _, s in staged],
            [len(s.events) for _, s in staged],
            *event_columns(events),
            list(snapshots),
            [s.version for s in snapshots.values()],
            [s.snapshot_version for s in snapshots.values()],
            [s.state for s in snapshots.values()],
            outbox.topics,
            outbox.keys,
            outbox.event_ids,
            outbox.payloads,
            outbox.headers,
            consumer,
            list(inbox_ids),
            list(inbox_topics),
            [w.statement for w in writes],
            [orjson.dumps(w.args).decode() for w in writes],
            list(unchanged),
            list(unchanged.values()),
        )
        rows = await conn.fetch(_KERNEL_COMMIT, *(None if a == [] else a for a in arguments))
    except asyncpg.SerializationError as exc:
        stream_id = getattr(exc, "detail", None) or "inbox"
        expected = streams[stream_id].expected_version if stream_id in streams else 0
        raise ConcurrencyError(stream_id, expected) from exc
    except asyncpg.UniqueViolationError as exc:  # two writers creating one stream's first events
        raise ConcurrencyError(staged[0][0] if staged else "?", 0) from exc
    positions = [LogPosition(r["out_a"], r["out_b"]) for r in rows if r["out_kind"] == "event"]
    return Committed(
        last_position=max(positions) if positions else None,
        outbox_ids=sorted(r["out_a"] for r in rows if r["out_kind"] == "outbox"),
    )
