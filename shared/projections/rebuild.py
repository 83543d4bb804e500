"""Rebuild a projection from the event store while the service keeps serving the old one.

The whole log is replayed into a shadow schema; then, under the projection's lock (so the live
runner pauses for a moment), the shadow catches up with the last few events, replaces the live
schema and takes over its checkpoint, all in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from shared.eventstore.database import DbConnection
from shared.eventstore.positions import LOG_START, LogPosition
from shared.eventstore.store import EventStore
from shared.projections.projection import Projection
from shared.projections.runner import LOCK, create_schema, write_checkpoint

Progress = Callable[[int, LogPosition], None]


@dataclass(frozen=True)
class RebuildReport:
    projection: str
    events: int
    seconds: float
    position: LogPosition

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


async def _replay(
    pool: asyncpg.Pool,
    projection: Projection,
    schema: str,
    after: LogPosition,
    batch_size: int,
    progress: Progress | None,
    counted: int,
    conn: DbConnection | None = None,
) -> tuple[LogPosition, int]:
    store = EventStore()
    position = after
    while True:
        if conn is None:
            async with pool.acquire() as own, own.transaction():
                events = await store.read_log(own, position, batch_size)
                await projection.apply_batch(own, schema, events)
        else:
            events = await store.read_log(conn, position, batch_size)
            await projection.apply_batch(conn, schema, events)
        if not events:
            return position, counted
        position = events[-1].log_position
        counted += len(events)
        if progress is not None:
            progress(counted, position)


async def rebuild_projection(
    pool: asyncpg.Pool, projection: Projection, *, batch_size: int = 2000, progress: Progress | None = None
) -> RebuildReport:
    """Replay every event into a fresh copy of the projection and swap it in atomically."""
    started = time.perf_counter()
    live, shadow = projection.schema, f"{projection.schema}__rebuild"
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f'DROP SCHEMA IF EXISTS "{shadow}" CASCADE')
        await create_schema(conn, projection, shadow)
    position, count = await _replay(pool, projection, shadow, LOG_START, batch_size, progress, 0)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(LOCK, projection.name)
        position, count = await _replay(pool, projection, shadow, position, batch_size, progress, count, conn)
        await conn.execute(f'DROP SCHEMA IF EXISTS "{live}" CASCADE')
        await conn.execute(f'ALTER SCHEMA "{shadow}" RENAME TO "{live}"')
        await write_checkpoint(conn, projection.name, position)
    return RebuildReport(projection.name, count, time.perf_counter() - started, position)
