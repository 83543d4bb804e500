"""Kafka offsets committed a little later, in one request per interval, instead of once per message.

A synchronous OffsetCommit per consumed message was most of the broker's requests (and CPU) and one
round trip per message in every service. Committing later is safe here: an offset is only handed
over once its message's transaction has committed, and a message redelivered because its offset was
not committed yet (crash, rebalance) finds its inbox row and is a no-op.

Commits are sent only while the consumer is a settled member of its group (`group_membership.py`),
and only for what it handled in the generation it is a member of now: a commit carrying a generation
that a rebalance is replacing makes aiokafka drop the new membership, and the group rebalances again.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.messaging.group_membership import generation, settled, stopped

log = logging.getLogger(__name__)

# partition -> (the next offset to read, the group generation the message was handled in)
Handled = dict[TopicPartition, tuple[int, int]]


class OffsetCommitter:
    """Collects the next offset to read per partition and commits them together every `interval` s."""

    def __init__(self, name: str, *, interval: float = 0.5) -> None:
        self.name = name
        self._interval = interval
        self._pending: dict[AIOKafkaConsumer, Handled] = {}
        self._flush_task: asyncio.Task[None] | None = None
        self._committing = asyncio.Lock()  # one commit at a time: a late older one must not land last
        self.commits = 0
        self.dropped = 0  # offsets handled in a generation that ended before they could be committed

    def processed(self, consumer: AIOKafkaConsumer, topic: str, partition: int, offset: int) -> None:
        """The message at `offset` is handled (applied, parked or dead-lettered): commit past it soon."""
        self._pending.setdefault(consumer, {})[TopicPartition(topic, partition)] = (
            offset + 1,
            generation(consumer),
        )
        self._flush_soon()

    def _flush_soon(self) -> None:
        if self._flush_task is None:
            self._flush_task = asyncio.create_task(self._flush_later(), name=f"{self.name}: offset commit")

    async def _flush_later(self) -> None:
        try:
            await asyncio.sleep(self._interval)
        finally:
            self._flush_task = None
        await self.flush()

    async def flush(self) -> None:
        """Commit what settled members handled in their current generation; keep the rest for later."""
        async with self._committing:
            pending, self._pending = self._pending, {}
            for consumer, handled in pending.items():
                if stopped(consumer):  # replaced or shut down: its partitions are redelivered elsewhere
                    self.dropped += len(handled)
                    continue
                if not settled(consumer):
                    self._keep(consumer, handled)  # a rebalance is under way: decide once it is over
                    continue
                due = self._due(consumer, handled)
                if not due:
                    continue
                try:
                    await consumer.commit({tp: handled[tp][0] for tp in due})
                    self.commits += 1
                except Exception as exc:  # the coordinator moving, a rebalance starting, stopped
                    log.warning("%s: offset commit failed (%s); tried again later", self.name, exc)
                    self._keep(consumer, {tp: handled[tp] for tp in due})

    def _due(self, consumer: AIOKafkaConsumer, handled: Handled) -> list[TopicPartition]:
        """The partitions to commit now: handled in the current generation and still owned. Others
        were handled before a rebalance; their partitions may have been handed to another member (and
        perhaps back), so the new owner's position counts: a redelivery there is an inbox no-op."""
        current = generation(consumer)
        owned = consumer.assignment()
        due = [tp for tp, (_, handled_in) in handled.items() if handled_in == current and tp in owned]
        self.dropped += len(handled) - len(due)
        return due

    def _keep(self, consumer: AIOKafkaConsumer, handled: Handled) -> None:
        """Put offsets back for the next flush, unless a newer offset of the partition came meanwhile."""
        newer = self._pending.setdefault(consumer, {})
        for tp, entry in handled.items():
            newer.setdefault(tp, entry)
        self._flush_soon()

    async def close(self) -> None:
        """Before the broker stops: commit what is collected and stop the timer."""
        task, self._flush_task = self._flush_task, None
        if task is not None:
            task.cancel()
        await self.flush()
        if self._flush_task is not None:  # kept for a rebalance that will not end now: redelivered
            self._flush_task.cancel()
            self._flush_task = None
