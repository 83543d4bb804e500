"""Keeps a projection up to date by following the service's event log from its checkpoint.

Each batch (events applied + checkpoint moved) is one transaction under the projection's
advisory lock, so several instances of a service can run the same runner without applying an
event twice, and a rebuild can take the lock to swap the model in atomically.

The checkpoint also records the shape the model was written in (`Projection.shape`). A runner
finding another shape (its code changed the tables, e.g. after an upgrade) drops the model and
follows the log again from its start: the list fills in again as it catches up, instead of the
runner failing on every batch until an operator rebuilds it.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from shared.eventstore.database import DbConnection, Executor
from shared.eventstore.notified_loop import follow_notifications
from shared.eventstore.positions import LOG_START, SNAPSHOT_XMIN, LogPosition
from shared.eventstore.store import EventStore
from shared.eventstore.unit_of_work import EVENTS_CHANNEL
from shared.projections.projection import Projection

log = logging.getLogger(__name__)

LOCK = "SELECT pg_advisory_xact_lock(hashtext('projection:' || $1))"
_VISIBLE = f"SELECT $1::bigint < {SNAPSHOT_XMIN}"
_HELD_BACK_POLLS = 200  # x 5 ms: then a full step again, whatever happened
_READ_CHECKPOINT = "SELECT transaction_id, position FROM projection_checkpoints WHERE projection = $1"
_READ_SHAPE = "SELECT shape FROM projection_checkpoints WHERE projection = $1"
_WRITE_CHECKPOINT = """
INSERT INTO projection_checkpoints (projection, transaction_id, position) VALUES ($1, $2, $3)
ON CONFLICT (projection) DO UPDATE
    SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position, updated_at = now()
"""
_RESET_CHECKPOINT = """
INSERT INTO projection_checkpoints (projection, transaction_id, position, shape) VALUES ($1, $2, $3, $4)
ON CONFLICT (projection) DO UPDATE
    SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position, shape = EXCLUDED.shape,
        updated_at = now()
"""


async def create_schema(conn: DbConnection, projection: Projection, schema: str) -> None:
    await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    for statement in projection.ddl(schema):
        await conn.execute(statement)


async def read_checkpoint(db: Executor, name: str) -> LogPosition:
    row = await db.fetchrow(_READ_CHECKPOINT, name)
    return LOG_START if row is None else LogPosition(row["transaction_id"], row["position"])


async def write_checkpoint(conn: DbConnection, name: str, position: LogPosition) -> None:
    await conn.execute(_WRITE_CHECKPOINT, name, position.transaction_id, position.position)


async def reset_checkpoint(conn: DbConnection, projection: Projection, position: LogPosition) -> None:
    """The checkpoint of a model (re)built by this code: its position and the shape it was written in."""
    await conn.execute(
        _RESET_CHECKPOINT, projection.name, position.transaction_id, position.position, projection.shape
    )


class ProjectionRunner:
    """Applies new events to one projection; `run()` follows the log until cancelled."""

    def __init__(
        self,
        dsn: str,
        pool: asyncpg.Pool,
        projection: Projection,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
    ) -> None:
        self._dsn = dsn
        self._pool = pool
        self.projection = projection
        self._store = EventStore()
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._advanced = asyncio.Condition()
        self.position = LOG_START

    async def setup(self) -> None:
        projection = self.projection
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(LOCK, projection.name)
            stored = await conn.fetchval(_READ_SHAPE, projection.name)
            if stored is not None and stored != projection.shape:
                log.warning(
                    "projection %s was written in shape %r, this code writes %r: rebuilding it from the log",
                    projection.name,
                    stored,
                    projection.shape,
                )
                await conn.execute(f'DROP SCHEMA IF EXISTS "{projection.schema}" CASCADE')
                self.position, stored = LOG_START, None
            await create_schema(conn, projection, projection.schema)
            if stored is None:
                await reset_checkpoint(conn, projection, LOG_START)
            # Start from the stored checkpoint, not the log's beginning (see `apply_batch`).
            self.position = max(self.position, await read_checkpoint(conn, projection.name))

    async def apply_batch(self) -> int:
        """Apply the next batch after the checkpoint; returns how many events were read.

        A batch with nothing this projection wants (a cart event, for the catalogue) is stepped over
        without a transaction, a lock or a checkpoint write: one query instead of six, and no
        write transaction holding back every other log reader. The stored checkpoint may then lag
        behind :attr:`position` by such events only, which any reader would skip anyway, so the
        next batch starts from whichever of the two is further.
        """
        name = self.projection.name
        ahead = await self._store.read_log(self._pool, self.position, self._batch_size)
        if not ahead:
            return 0
        if not any(self.projection.wants(event) for event in ahead):
            await self._advance(ahead[-1].log_position)
            return len(ahead)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(LOCK, name)
            position = max(await read_checkpoint(conn, name), self.position)
            events = await self._store.read_log(conn, position, self._batch_size)
            await self.projection.apply_batch(conn, self.projection.schema, events)
            if events:
                position = events[-1].log_position
                await write_checkpoint(conn, name, position)
        await self._advance(position)
        return len(events)

    async def _advance(self, position: LogPosition) -> None:
        self.position = max(self.position, position)
        async with self._advanced:
            self._advanced.notify_all()

    async def catch_up(self) -> int:
        total = 0
        while (count := await self.apply_batch()) > 0:
            total += count
        return total

    async def wait_until(self, position: LogPosition, timeout: float = 5.0) -> bool:
        """Read-your-writes: wait until the model includes `position` (True) or time runs out."""

        async def reached() -> None:
            async with self._advanced:
                await self._advanced.wait_for(lambda: self.position >= position)

        self._wake.set()
        try:
            await asyncio.wait_for(reached(), timeout)
            return True
        except TimeoutError:
            return False

    async def _held_back(self) -> int | None:
        """The transaction of the first committed event past the checkpoint that an older, still
        running transaction hides from the log (None when there is none)."""
        held = await self._pool.fetchval(
            "SELECT transaction_id FROM events WHERE (transaction_id, position) > ($1, $2)"
            " ORDER BY transaction_id, position LIMIT 1",
            self.position.transaction_id,
            self.position.position,
        )
        return None if held is None else int(held)

    async def _until_visible(self, transaction_id: int) -> None:
        """Wait (briefly) until every transaction older than ``transaction_id`` has finished.

        One cheap query every 5 ms, rather than a whole batch transaction and a log probe: under
        load some older transaction is nearly always running, and that spin showed as a quarter of
        a service's busy time in the benchmark's profile.
        """
        for _ in range(_HELD_BACK_POLLS):
            await asyncio.sleep(0.005)
            if await self._pool.fetchval(_VISIBLE, transaction_id):
                return

    async def _step(self) -> bool:
        if await self.apply_batch() >= self._batch_size:
            return True
        held = await self._held_back()
        if held is not None:
            await self._until_visible(held)
            return True
        return False

    async def _prepare(self, _: asyncpg.Connection) -> None:
        await self.setup()

    async def run(self) -> None:
        await follow_notifications(
            self._dsn,
            EVENTS_CHANNEL,
            self._step,
            name=f"projection {self.projection.name}",
            poll_interval=self._poll_interval,
            prepare=self._prepare,
            wake=self._wake,
        )
