"""Kafka offsets committed a little later, in one request per interval, instead of once per message.

A synchronous OffsetCommit per consumed message was most of the broker's requests (and CPU) and one
round trip per message in every service. Committing later is safe here: an offset is only handed
over once its message's transaction has committed, and a message redelivered because its offset was
not committed yet (crash, rebalance) finds its inbox row and is a no-op.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

log = logging.getLogger(__name__)


class OffsetCommitter:
    """Collects the next offset to read per partition and commits them together every `interval` s."""

    def __init__(self, name: str, *, interval: float = 0.5) -> None:
        self.name = name
        self._interval = interval
        self._pending: dict[AIOKafkaConsumer, dict[TopicPartition, int]] = {}
        self._flush_task: asyncio.Task[None] | None = None
        self._committing = asyncio.Lock()  # one commit at a time: a late older one must not land last
        self.commits = 0

    def processed(self, consumer: AIOKafkaConsumer, topic: str, partition: int, offset: int) -> None:
        """The message at `offset` is handled (applied, parked or dead-lettered): commit past it soon."""
        self._pending.setdefault(consumer, {})[TopicPartition(topic, partition)] = offset + 1
        if self._flush_task is None:
            self._flush_task = asyncio.create_task(self._flush_later(), name=f"{self.name}: offset commit")

    async def _flush_later(self) -> None:
        try:
            await asyncio.sleep(self._interval)
        finally:
            self._flush_task = None
        await self.flush()

    async def flush(self) -> None:
        """Commit everything collected so far."""
        async with self._committing:
            pending, self._pending = self._pending, {}
            for consumer, offsets in pending.items():
                try:
                    await consumer.commit(offsets)
                    self.commits += 1
                except Exception as exc:  # rebalance, coordinator moving, consumer stopped
                    self._retry_still_owned(consumer, offsets, exc)

    async def close(self) -> None:
        """Before the broker stops: commit what is collected and stop the timer."""
        task, self._flush_task = self._flush_task, None
        if task is not None:
            task.cancel()
        await self.flush()

    def _retry_still_owned(
        self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int], exc: Exception
    ) -> None:
        """Keep the offsets of partitions this consumer still owns for the next flush; a partition
        given to another member is its business now (it redelivers, the inbox skips)."""
        try:
            owned = consumer.assignment()
        except Exception:
            owned = set()
        retry = {tp: offset for tp, offset in offsets.items() if tp in owned}
        log.warning("%s: offset commit failed (%s); %d partition(s) retried", self.name, exc, len(retry))
        if not retry:
            return
        newer = self._pending.setdefault(consumer, {})
        for tp, offset in retry.items():
            newer.setdefault(tp, offset)
        if self._flush_task is None:
            self._flush_task = asyncio.create_task(self._flush_later(), name=f"{self.name}: offset commit")
