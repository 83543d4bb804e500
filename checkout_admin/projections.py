"""`projections list | status | rebuild SERVICE PROJECTION`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

from checkout_admin.config import StackConfig
from checkout_admin.connections import open_pool
from checkout_admin.progress import Progress
from checkout_admin.registry import SERVICES, ServiceEntry
from shared.eventstore.database import Executor
from shared.eventstore.positions import LOG_START, LogPosition
from shared.eventstore.store import EventStore
from shared.projections.projection import Projection
from shared.projections.rebuild import RebuildReport, rebuild_projection
from shared.projections.runner import read_checkpoint


@dataclass(frozen=True)
class ProjectionStatus:
    service: str
    projection: str
    checkpoint: LogPosition
    head: LogPosition
    behind: int


async def events_to_fold(db: Executor, projection: Projection, checkpoint: LogPosition) -> int:
    """How far behind the projection is: the events after its checkpoint of the types it folds.

    The runner steps over the other types without moving its checkpoint (see `runner.py`), so
    counting every later event would report lag on an idle stack that is not there.
    """
    behind = await db.fetchval(
        "SELECT count(*) FROM events WHERE (transaction_id, position) > ($1, $2)"
        " AND ($3::text[] IS NULL OR event_type = ANY($3::text[]))",
        checkpoint.transaction_id,
        checkpoint.position,
        None if projection.event_types is None else sorted(projection.event_types),
    )
    return int(behind)


async def statuses(config: StackConfig, only: str | None = None) -> list[ProjectionStatus]:
    """Every projection's checkpoint and lag; raises `Unreachable` for a database that does not answer."""
    if only is not None:
        _known(only)
    found = []
    for name, entry in SERVICES.items():
        if only and name != only:
            continue
        runtime = entry.build(config.database_url(name), config.kafka, config.topic_prefix)
        pool = await open_pool(config, name, max_size=2)
        try:
            head = await EventStore().head(pool)
            for projection in runtime.projection_definitions:
                checkpoint = await read_checkpoint(pool, projection.name)
                behind = await events_to_fold(pool, projection, checkpoint)
                found.append(ProjectionStatus(name, projection.name, checkpoint, head, behind))
        except asyncpg.UndefinedTableError:
            raise SystemExit(
                f"the {name} database has no event store yet: has the {name} service run against it?"
            ) from None
        finally:
            await pool.close()
    return found


def _known(service: str) -> ServiceEntry:
    entry = SERVICES.get(service)
    if entry is None:
        raise SystemExit(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
    return entry


@dataclass(frozen=True)
class RebuildPlan:
    """What a rebuild would do (`--dry-run`): read the whole log (`events`, what a rebuild reports),
    fold the events of its types among them, and replace the live model, which stands where shown."""

    service: str
    projection: str
    events: int
    events_to_fold: int
    live_checkpoint: LogPosition


@asynccontextmanager
async def _opened(
    config: StackConfig, service: str, name: str, *, max_size: int
) -> AsyncIterator[tuple[Projection, asyncpg.Pool]]:
    """The service's projection of that name and a pool on its database, closed on exit."""
    runtime = _known(service).build(config.database_url(service), config.kafka, config.topic_prefix)
    projection = next((p for p in runtime.projection_definitions if p.name == name), None)
    if projection is None:
        names = ", ".join(p.name for p in runtime.projection_definitions)
        raise SystemExit(f"{service} has no projection {name!r}; it has: {names}")
    pool = await open_pool(config, service, max_size=max_size)
    try:
        yield projection, pool
    finally:
        await pool.close()


async def plan_rebuild(config: StackConfig, service: str, projection_name: str) -> RebuildPlan:
    """Count what `rebuild` would fold, changing nothing."""
    async with _opened(config, service, projection_name, max_size=2) as (projection, pool):
        events = int(await pool.fetchval("SELECT count(*) FROM events"))
        folded = await events_to_fold(pool, projection, LOG_START)
        checkpoint = await read_checkpoint(pool, projection.name)
        return RebuildPlan(service, projection.name, events, folded, checkpoint)


async def rebuild(config: StackConfig, service: str, projection_name: str) -> RebuildReport:
    async with _opened(config, service, projection_name, max_size=4) as (projection, pool):
        total = int(await pool.fetchval("SELECT count(*) FROM events"))
        progress = Progress(f"rebuilding {service}/{projection_name}", total)
        report = await rebuild_projection(pool, projection, progress=lambda n, _: progress.update(n))
        progress.finish()
        return report
