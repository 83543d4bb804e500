"""The outbox relay: publishes committed outbox rows to Kafka, then moves them to `outbox_history`.

At-least-once: a row leaves the outbox only after Kafka acknowledged it (acks=all, idempotent producer),
so a crash in between republishes it and consumers deduplicate by `event_id`. One relay per
database is active at a time (a session advisory lock); other instances wait as standbys.

The leading relay is handed the rows its own process commits, right after each commit
(`CommitSignals`), and publishes them without reading them back. It also reads the table every
`poll_interval`, at start and while busy too, for rows committed by other instances of the service
or written while it was not leading. Rows of one commit go out in their order, commits in the order
they were handed, so one key's messages keep their order within its partition.

An acknowledged row leaves the table with the next table read, in the same statement (the read
takes the ids to delete), not with a statement of its own per drain: a relay handed one commit at a
time would otherwise send a delete per commit. A row so waits up to `poll_interval` after Kafka has
it; should the process die meanwhile, the next relay publishes it again, which at-least-once allows
(consumers deduplicate). A relay that stops deletes what it has published before it goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence

import asyncpg
from aiokafka import AIOKafkaProducer

from shared.eventstore.commit_signals import Commit, CommitSignals, OutboxRow
from shared.eventstore.database import Executor
from shared.eventstore.leader_loop import lead_and_follow
from shared.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED

log = logging.getLogger(__name__)

_RELAY_LOCK = 7_351_002
_MOVE_TO_HISTORY = """
published AS (DELETE FROM outbox WHERE id = ANY($1::bigint[]) RETURNING *),
moved AS (
    INSERT INTO outbox_history (id, topic, key, event_id, payload, headers, created_at)
    SELECT id, topic, key, event_id, payload, headers, created_at FROM published
    ON CONFLICT (id) DO NOTHING
)"""
"""Takes the acknowledged rows out of the outbox into its history: the history is what
`checkout-admin republish` publishes again (same ids, keys, envelopes) after Kafka lost it."""
_DELETE = f"WITH {_MOVE_TO_HISTORY} SELECT count(*) FROM published"  # noqa: S608
_READ_AND_DELETE = f"""
WITH {_MOVE_TO_HISTORY}
SELECT id, topic, key, payload, headers FROM outbox WHERE id <> ALL($1::bigint[]) ORDER BY id LIMIT $2
"""  # noqa: S608
"""The table read, taking the acknowledged rows out in the same statement (it reads the table as it
was before the delete, hence the filter)."""
_REMEMBERED = 50_000
"""How many published ids are remembered, so that a row both handed over and read from the table
(committed while a table read ran) goes out once."""


class OutboxRelay:
    """Moves outbox rows to Kafka. `run()` until cancelled; `publish_pending()` drains once."""

    def __init__(
        self,
        dsn: str,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        *,
        signals: CommitSignals | None = None,
        batch_size: int = 500,
        poll_interval: float = 0.5,
    ) -> None:
        self._dsn = dsn
        self._pool = pool
        self._producer = producer
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._handed: list[OutboxRow] = []
        self._leading = False
        self._last_table_read = 0.0
        self._published_ids: OrderedDict[int, None] = OrderedDict()
        self._acknowledged: list[int] = []
        """Rows Kafka has acknowledged, to delete with the next table read."""
        self.published = 0
        if signals is not None:
            signals.listen(self._on_commit)

    def _on_commit(self, commit: Commit) -> None:
        if commit.outbox and self._leading:
            self._handed.extend(commit.outbox)
            self._wake.set()

    async def _publish(self, rows: Sequence[OutboxRow]) -> int:
        """Publish the rows not published yet; once Kafka has acknowledged them, all of them are to be
        deleted (by the next table read).

        A row read from the table may already be out: handed over and published while the read ran,
        or published before a crash undid its delete (deletes commit asynchronously). It is deleted
        again, not republished."""
        fresh = [row for row in rows if row.id not in self._published_ids]
        acks = []
        for row in fresh:
            headers = [(name, value.encode()) for name, value in row.headers.items()]
            acks.append(
                await self._producer.send(row.topic, value=row.payload, key=row.key.encode(), headers=headers)
            )
        await asyncio.gather(*acks)
        self._acknowledged += [row.id for row in rows]
        for row in fresh:
            self._published_ids[row.id] = None
        while len(self._published_ids) > _REMEMBERED:
            self._published_ids.popitem(last=False)
        self.published += len(fresh)
        OUTBOX_PUBLISHED.inc(len(fresh))
        return len(fresh)

    async def publish_batch(self, db: Executor | None = None) -> int:
        """Delete what Kafka has acknowledged and publish up to one batch of rows read from the table
        in the same statement; returns how many rows it read."""
        self._last_table_read = time.monotonic()
        deleting = list(self._acknowledged)
        records = await (db or self._pool).fetch(_READ_AND_DELETE, deleting, self._batch_size)
        del self._acknowledged[: len(deleting)]
        OUTBOX_BACKLOG.set(len(records))
        rows = [OutboxRow(r["id"], r["topic"], r["key"], r["payload"], r["headers"]) for r in records]
        await self._publish(rows)
        return len(rows)

    async def publish_pending(self) -> int:
        """Drain the table; it is empty when this returns (the last read deleted the last rows)."""
        total = 0
        while (count := await self.publish_batch()) > 0:
            total += count
        return total

    async def delete_acknowledged(self, db: Executor | None = None) -> None:
        """Delete what Kafka has acknowledged now, without waiting for the next table read."""
        if self._acknowledged:
            deleting = list(self._acknowledged)
            await (db or self._pool).fetchval(_DELETE, deleting)
            del self._acknowledged[: len(deleting)]

    async def _lead(self, conn: asyncpg.Connection) -> None:
        """Wait until this instance holds the relay lock (held as long as the connection lives)."""
        self._leading = False
        self._handed = []  # still in the table: the first step reads it
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK):
            await asyncio.sleep(self._poll_interval)
        self._leading = True
        self._last_table_read = 0.0
        log.info("outbox relay leading")

    async def _step(self, conn: asyncpg.Connection) -> bool:
        if (
            time.monotonic() - self._last_table_read >= self._poll_interval
            or len(self._acknowledged) >= self._batch_size
        ):
            if await self.publish_batch(conn) >= self._batch_size:
                return True
        if self._handed:
            rows, self._handed = self._handed, []
            await self._publish(rows)
        return bool(self._handed)

    async def run(self) -> None:
        """Lead (or wait to lead) and relay until cancelled, surviving database and broker outages."""
        try:
            await lead_and_follow(
                self._dsn,
                self._step,
                name="outbox relay",
                poll_interval=self._poll_interval,
                wake=self._wake,
                prepare=self._lead,
            )
        finally:
            self._leading = False
            with contextlib.suppress(Exception):  # else the next relay publishes them again
                await asyncio.wait_for(self.delete_acknowledged(), 2)
