"""Keeps a projection up to date by following the service's event log from its checkpoint.

One instance of a service runs a projection at a time (a session advisory lock on the runner's own
connection); the others wait as standbys. The leader keeps its checkpoint in memory: a batch is one
transaction, with one read of the log and, when it holds events the projection folds, the model's
writes and the checkpoint's move. The move is conditional on the stored checkpoint being the one
the runner last wrote, so a rebuild that swapped the model in meanwhile (or any other writer) makes
the batch roll back and the runner carry on from the checkpoint it finds. Projection rows and
checkpoints are derived data: they commit without waiting for the disk (see `leader_loop.py`).

The runner is woken in process by commits of the event types it folds (`CommitSignals`), and reads
the log every `poll_interval` for other processes' writes. Its steps are at least `spacing` apart
(50 ms): a read model is eventually consistent anyway, and under load one step then folds what
many commits wrote, for the same five statements (begin, read, write, checkpoint, commit) that one
commit's events cost otherwise; after a quiet spell the first commit is folded at once.

A runner's statements find their rows by key (its model's primary keys, the log's index), but
PostgreSQL plans a prepared statement once per session, generically, with its tables as they were
then, and keeps the plan until an ANALYZE invalidates it: a model planned while it held a few rows,
as every new shop's does, was scanned whole on every batch long after it had grown (the order list
in a benchmark run of 4,461 orders: 1,110 scans, 2.1 million rows read, 4.6 ms a batch's write).
So the runner's session has sequential scans off (`plan_by_key`): a plan takes an index wherever
one applies, at any size, and a statement no index serves still runs.

The checkpoint also records the shape the model was written in (`Projection.shape`). A runner
finding another shape (its code changed the tables, e.g. after an upgrade) drops the model and
follows the log again from its start: the list fills in again as it catches up, instead of the
runner failing on every batch until an operator rebuilds it.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from shared.eventstore.commit_signals import Commit, CommitSignals
from shared.eventstore.database import DbConnection, Executor
from shared.eventstore.leader_loop import lead_and_follow
from shared.eventstore.positions import LOG_START, LogPosition
from shared.eventstore.store import EventStore
from shared.projections.projection import Projection

log = logging.getLogger(__name__)

LOCK = "SELECT pg_advisory_xact_lock(hashtext('projection:' || $1))"
_LEAD = "SELECT pg_try_advisory_lock(hashtext('projection runner:' || $1))"
_READ_CHECKPOINT = "SELECT transaction_id, position FROM projection_checkpoints WHERE projection = $1"
_READ_SHAPE = "SELECT shape FROM projection_checkpoints WHERE projection = $1"
_MOVE_CHECKPOINT = """
UPDATE projection_checkpoints SET transaction_id = $4, position = $5, updated_at = now()
WHERE projection = $1 AND transaction_id = $2 AND position = $3
RETURNING true
"""
_RESET_CHECKPOINT = """
INSERT INTO projection_checkpoints (projection, transaction_id, position, shape) VALUES ($1, $2, $3, $4)
ON CONFLICT (projection) DO UPDATE
    SET transaction_id = EXCLUDED.transaction_id, position = EXCLUDED.position, shape = EXCLUDED.shape,
        updated_at = now()
"""


_BY_KEY = "SET enable_seqscan = off"


async def plan_by_key(conn: DbConnection) -> None:
    """Plans made on `conn` take an index wherever one applies, however small the table is when a
    statement is planned (see the module doc)."""
    await conn.execute(_BY_KEY)


class CheckpointMoved(Exception):
    """The stored checkpoint is not the one this runner wrote last: someone else moved it."""


async def create_schema(conn: DbConnection, projection: Projection, schema: str) -> None:
    await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    for statement in projection.ddl(schema):
        await conn.execute(statement)


async def read_checkpoint(db: Executor, name: str) -> LogPosition:
    row = await db.fetchrow(_READ_CHECKPOINT, name)
    return LOG_START if row is None else LogPosition(row["transaction_id"], row["position"])


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
        signals: CommitSignals | None = None,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        coalesce: float = 0.005,
        spacing: float = 0.05,
    ) -> None:
        self._dsn = dsn
        self._pool = pool
        self.projection = projection
        self._store = EventStore()
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._coalesce = coalesce
        self._spacing = spacing
        self._wake = asyncio.Event()
        self._advanced = asyncio.Condition()
        self.position = LOG_START
        """How far this runner has read the log (ahead of the stored checkpoint by unwanted events)."""
        self._stored = LOG_START
        """The checkpoint as this runner last read or wrote it."""
        self._target = LOG_START
        """The furthest committed event of a folded type this process knows of."""
        if signals is not None:
            signals.listen(self._on_commit)

    def _on_commit(self, commit: Commit) -> None:
        if commit.last_position is None:
            return
        wanted = self.projection.event_types
        if wanted is None or not wanted.isdisjoint(commit.event_types):
            self._target = max(self._target, commit.last_position)
            self._wake.set()

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
                stored = None
            await create_schema(conn, projection, projection.schema)
            if stored is None:
                await reset_checkpoint(conn, projection, LOG_START)
            self._stored = self.position = await read_checkpoint(conn, projection.name)

    async def apply_batch(self, conn: DbConnection | None = None) -> int:
        """Apply the next batch after the position read so far; returns how many events were read.

        The read, the model's writes and the checkpoint's move are one transaction: one commit a
        batch, where a read on its own would be a commit of its own (PostgreSQL counts every
        statement outside a transaction as one). A batch with nothing this projection wants (a cart
        event, for the catalogue) writes nothing: no checkpoint write. The stored checkpoint may
        then lag behind :attr:`position` by such events only, which a runner starting from it
        would skip again.
        """
        if conn is None:
            async with self._pool.acquire() as acquired:
                return await self.apply_batch(acquired)
        wrote = False
        try:
            async with conn.transaction():
                events = await self._store.read_log(
                    conn, self.position, self._batch_size, self.projection.event_types
                )
                if not events:
                    return 0
                position = events[-1].log_position
                if any(self.projection.wants(event) for event in events):
                    await self.projection.apply_batch(conn, self.projection.schema, events)
                    moved = await conn.fetchval(
                        _MOVE_CHECKPOINT,
                        self.projection.name,
                        self._stored.transaction_id,
                        self._stored.position,
                        position.transaction_id,
                        position.position,
                    )
                    if not moved:
                        raise CheckpointMoved(self.projection.name)
                    wrote = True
        except CheckpointMoved:
            await self._resync(conn)
            return len(events)
        if wrote:
            self._stored = position
        await self._advance(position)
        return len(events)

    async def _resync(self, conn: DbConnection) -> None:
        """Go on from the stored checkpoint, which someone else moved (a rebuild swapped the model in)."""
        self._stored = self.position = await read_checkpoint(conn, self.projection.name)
        log.info(
            "projection %s: checkpoint moved elsewhere; going on from %s", self.projection.name, self.position
        )
        async with self._advanced:
            self._advanced.notify_all()

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

        self._target = max(self._target, position)
        self._wake.set()
        try:
            await asyncio.wait_for(reached(), timeout)
            return True
        except TimeoutError:
            return False

    async def _step(self, conn: asyncpg.Connection) -> bool:
        if await self.apply_batch(conn) >= self._batch_size:
            return True
        if self.position < self._target:
            # A commit this process made is not readable yet: an older transaction still runs. Step
            # again after the spacing (`lead_and_follow`), when under load the next commits come
            # anyway and one batch folds them all: no statement is spent asking in between.
            self._wake.set()
        return False

    async def _lead(self, conn: asyncpg.Connection) -> None:
        """Wait until this instance runs the projection (a lock held as long as `conn` lives), then
        start from the stored checkpoint."""
        await plan_by_key(conn)
        while not await conn.fetchval(_LEAD, self.projection.name):
            await asyncio.sleep(self._poll_interval)
        self._stored = self.position = await read_checkpoint(conn, self.projection.name)

    async def run(self) -> None:
        await lead_and_follow(
            self._dsn,
            self._step,
            name=f"projection {self.projection.name}",
            poll_interval=self._poll_interval,
            wake=self._wake,
            prepare=self._lead,
            coalesce=self._coalesce,
            spacing=self._spacing,
        )
