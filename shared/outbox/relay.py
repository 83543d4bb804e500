"""The outbox relay: publishes committed outbox rows to Kafka, then deletes them.

At-least-once: a row is deleted only after Kafka acknowledged it (acks=all, idempotent producer),
so a crash in between republishes it and consumers deduplicate by `event_id`. Rows go out in
insertion order, so one key's messages keep their order within its partition. One relay per
database is active at a time (a session advisory lock); other instances wait as standbys.
It is woken by NOTIFY from committing transactions and also polls, in case a notification is lost.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg
from aiokafka import AIOKafkaProducer

from shared.eventstore.notified_loop import follow_notifications
from shared.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED
from shared.outbox.writer import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

_RELAY_LOCK = 7_351_002
_SELECT = "SELECT id, topic, key, payload, headers FROM outbox ORDER BY id LIMIT $1"
_DELETE = "DELETE FROM outbox WHERE id = ANY($1::bigint[])"


class OutboxRelay:
    """Moves outbox rows to Kafka. `run()` until cancelled; `publish_pending()` drains once."""

    def __init__(
        self,
        dsn: str,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
    ) -> None:
        self._dsn = dsn
        self._pool = pool
        self._producer = producer
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self.published = 0

    async def publish_batch(self) -> int:
        """Publish up to one batch of pending rows; returns how many went out."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(_SELECT, self._batch_size)
        if not rows:
            OUTBOX_BACKLOG.set(0)
            return 0
        acks = []
        for row in rows:
            headers = [(str(name), str(value).encode()) for name, value in row["headers"].items()]
            acks.append(
                await self._producer.send(
                    row["topic"], value=row["payload"], key=row["key"].encode(), headers=headers
                )
            )
        await asyncio.gather(*acks)
        async with self._pool.acquire() as conn:
            await conn.execute(_DELETE, [row["id"] for row in rows])
        self.published += len(rows)
        OUTBOX_PUBLISHED.inc(len(rows))
        OUTBOX_BACKLOG.set(len(rows))
        return len(rows)

    async def publish_pending(self) -> int:
        total = 0
        while (count := await self.publish_batch()) > 0:
            total += count
        return total

    async def _lead(self, listener: asyncpg.Connection) -> None:
        """Wait until this instance holds the relay lock (held as long as the listener lives)."""
        while not await listener.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK):
            await asyncio.sleep(self._poll_interval)
        log.info("outbox relay leading")

    async def _step(self) -> bool:
        return await self.publish_batch() >= self._batch_size

    async def run(self) -> None:
        """Lead (or wait to lead) and relay until cancelled, surviving database and broker outages."""
        await follow_notifications(
            self._dsn,
            NOTIFY_CHANNEL,
            self._step,
            name="outbox relay",
            poll_interval=self._poll_interval,
            prepare=self._lead,
        )
