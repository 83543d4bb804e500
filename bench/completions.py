"""`complete` observed from Kafka: one consumer of the `OrderCompleted` topic resolves a future per order.

Polling `GET /v2/orders/{id}` until `complete` cost the stack about six requests per checkout at
saturation, more the slower it got, so the benchmark's own bookkeeping inflated the cost it measured.
The order service publishes `OrderCompleted` (key and ``aggregate_id``: the order id) in the same
transaction that completes the order, so its arrival is the order's `complete`. The consumer has no
group (no offsets committed, no rebalance) and starts at the end of every partition; an order
completed before anyone waits for it is remembered for a while, so the wait still returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.contracts.integration_event import topic_for
from shared.messaging.admin import ensure_topics
from shared.messaging.kafka_security import kafka_client_options

log = logging.getLogger("bench")
TOPIC = "OrderCompleted"
REMEMBERED = 100_000
"""Completions nobody waited for yet (or any more), kept by order id: bounded, oldest dropped first."""


class NotCompleted(Exception):
    """The order's `OrderCompleted` did not arrive in time."""


def order_id_of(value: bytes | None) -> str | None:
    """The order id of an `OrderCompleted` envelope (``data.order_id``, else ``aggregate_id``)."""
    if not value:
        return None
    try:
        envelope: Any = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(envelope, dict):
        return None
    data = envelope.get("data")
    found = data.get("order_id") if isinstance(data, dict) else None
    found = found or envelope.get("aggregate_id")
    return str(found) if found else None


class CompletionWatcher:
    """Reads ``<prefix>OrderCompleted`` from its end; :meth:`wait` returns when an order's arrives."""

    def __init__(self, bootstrap_servers: str, topic_prefix: str) -> None:
        self._bootstrap = bootstrap_servers
        self.topic = topic_for(TOPIC, topic_prefix)
        self._consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=bootstrap_servers,
            client_id="bench-completions",
            group_id=None,  # every partition, no offsets committed, no rebalance
            enable_auto_commit=False,
            auto_offset_reset="latest",
            fetch_max_wait_ms=100,
            **kafka_client_options(),
        )
        self._waiting: dict[str, asyncio.Future[float]] = {}
        self._arrived: OrderedDict[str, float] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self.received = 0

    async def start(self) -> None:
        """Assign every partition at its current end, before any checkout of the run starts."""
        await ensure_topics(self._bootstrap, [self.topic])  # the order service makes it too; no harm
        await self._consumer.start()
        assigned: set[TopicPartition] = set()
        for _ in range(100):  # the group-less assignment follows the topic's metadata
            assigned = set(self._consumer.assignment())
            if assigned:
                break
            await asyncio.sleep(0.05)
        if not assigned:
            raise RuntimeError(f"no partitions of {self.topic} were assigned")
        await self._consumer.seek_to_end(*assigned)
        for tp in assigned:
            await self._consumer.position(tp)  # resolve the end now, not at the first fetch
        self._task = asyncio.create_task(self._run(), name="bench: OrderCompleted")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()
        for future in self._waiting.values():
            future.cancel()

    async def _run(self) -> None:
        while True:
            try:
                batches = await self._consumer.getmany(timeout_ms=1000, max_records=1000)
            except Exception as exc:  # a broker hiccup must not end the watch: waits would all time out
                log.warning("reading %s failed, retrying: %s", self.topic, exc)
                await asyncio.sleep(0.5)
                continue
            at = time.perf_counter()
            for records in batches.values():
                for record in records:
                    order_id = order_id_of(record.value)
                    if order_id is not None:
                        self._arrive(order_id, at)

    def _arrive(self, order_id: str, at: float) -> None:
        self.received += 1
        future = self._waiting.get(order_id)
        if future is not None and not future.done():
            future.set_result(at)
            return
        self._arrived[order_id] = at
        self._arrived.move_to_end(order_id)
        while len(self._arrived) > REMEMBERED:
            self._arrived.popitem(last=False)

    def expect(self, order_id: str) -> None:
        """Start listening for ``order_id`` (before it can complete, so no arrival is missed)."""
        if order_id not in self._arrived and order_id not in self._waiting:
            self._waiting[order_id] = asyncio.get_running_loop().create_future()

    def forget(self, order_id: str) -> None:
        """Stop listening for an order that will not complete (its payment was refused)."""
        future = self._waiting.pop(order_id, None)
        if future is not None:
            future.cancel()
        self._arrived.pop(order_id, None)

    async def wait(self, order_id: str, seconds: float) -> float:
        """The ``time.perf_counter()`` at which the order's `OrderCompleted` arrived."""
        arrived = self._arrived.pop(order_id, None)
        if arrived is not None:
            self._waiting.pop(order_id, None)
            return arrived
        self.expect(order_id)
        try:
            return await asyncio.wait_for(self._waiting[order_id], seconds)
        except TimeoutError:
            raise NotCompleted(f"order {order_id}: no {self.topic} within {seconds:.0f} s") from None
        finally:
            self._waiting.pop(order_id, None)
