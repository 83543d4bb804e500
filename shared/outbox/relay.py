"""The outbox relay: publishes committed outbox rows to Kafka, then deletes them.

At-least-once: a row is deleted only after Kafka acknowledged it (acks=all, idempotent producer),
so a crash in between republishes it and consumers deduplicate by `event_id`. Rows go out in
insertion order, so one key's messages keep their order within its partition. One relay per
database is active at a time (a session advisory lock); other instances wait as standbys.
It is woken by NOTIFY from committing transactions and also polls, in case a notification is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from aiokafka import AIOKafkaProducer

from shared.eventstore.database import connect
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
        self._wake = asyncio.Event()
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

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Lead (or wait to lead) and relay until cancelled, surviving database and broker outages."""
        backoff = 0.2
        while True:
            listener: asyncpg.Connection | None = None
            try:
                listener = await connect(self._dsn)
                while not await listener.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK):
                    await asyncio.sleep(self._poll_interval)
                await listener.add_listener(NOTIFY_CHANNEL, self._on_notify)
                log.info("outbox relay leading")
                backoff = 0.2
                while True:
                    self._wake.clear()
                    if await self.publish_batch() >= self._batch_size:
                        continue
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._poll_interval)
                    if listener.is_closed():
                        raise ConnectionError("relay listener connection closed")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "outbox relay interrupted (%s: %s); retrying in %.1fs", type(exc).__name__, exc, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                if listener is not None and not listener.is_closed():
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(listener.close(), 2)
