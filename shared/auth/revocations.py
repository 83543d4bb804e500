"""Customer tokens of deleted customers, refused on every service the moment it learns of the deletion.

Customer tokens are stateless JWTs verified locally (`shared.auth.signing`: no call to an auth
service on the request path), so a token cannot be recalled; what can be kept is the list of
customers whose tokens no longer count. `REVOKED_CUSTOMERS` is that list in each process, checked
by `optional_customer` after every verification (a dict lookup, no I/O), so no route can forget it.

How a deletion reaches it:

- in the cart process that deletes the customer, at once: the route revokes after its commit;
- in every other process (other cart instances, order, payment...), from the `CustomerDeleted`
  integration event the deletion published through the outbox in the same transaction: each
  process reads the topic with a `RevocationListener` of its own (no consumer group, so every
  instance sees every deletion, not one per group), from the start of the topic, and does not
  report itself started before it has read up to the end it found (a restarted process never
  serves a deleted customer's token). The window elsewhere is Kafka's delivery time, milliseconds
  on a healthy cluster: the price of not asking the cart service on every request.

An entry is kept for the customer token lifetime after the deletion: every token issued before it
has expired by then, and a deleted customer gets no new one (their sign-in is gone and customer
ids are never reused).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.contracts.envelope import Envelope
from shared.contracts.events import CustomerDeleted
from shared.contracts.integration_event import topic_for
from shared.messaging.admin import ensure_topics
from shared.messaging.kafka_security import kafka_client_options
from shared.settings import ServiceSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 60.0
METADATA_WAIT_SECONDS = 30.0


class RevokedCustomers:
    """Customer ids whose tokens are refused, each kept `keep_seconds` after its deletion."""

    def __init__(self, keep_seconds: float = 86_400, clock: Callable[[], float] = time.time) -> None:
        self.keep_seconds = keep_seconds
        self.clock = clock
        self._revoked: dict[str, float] = {}
        self._pruned_at = 0.0
        self._lock = threading.Lock()  # `optional_customer` may run on a worker thread

    def revoke(self, customer_id: str, at: float | None = None) -> None:
        """From now on the customer's tokens are refused (`at`: when the customer was deleted)."""
        now = self.clock()
        when = now if at is None else at
        horizon = now - self.keep_seconds
        if when < horizon:
            return  # every token of theirs has expired already
        with self._lock:
            self._revoked[customer_id] = when
            if now - self._pruned_at > PRUNE_EVERY_SECONDS:
                self._pruned_at = now
                for stale in [c for c, at_ in self._revoked.items() if at_ < horizon]:
                    del self._revoked[stale]

    def is_revoked(self, customer_id: str) -> bool:
        return customer_id in self._revoked

    def __len__(self) -> int:
        return len(self._revoked)

    def clear(self) -> None:
        with self._lock:
            self._revoked.clear()


REVOKED_CUSTOMERS = RevokedCustomers()
"""This process's list, fed by the deleting route and by its `RevocationListener`."""


class RevocationListener:
    """Reads `CustomerDeleted` into a `RevokedCustomers`: all partitions, from the beginning, no group."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        topic_prefix: str = "",
        revoked: RevokedCustomers = REVOKED_CUSTOMERS,
        client_id: str = "revocations",
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic_for(CustomerDeleted.event_type, topic_prefix)
        self.revoked = revoked
        self.client_id = client_id
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Returns once every deletion published before the call has been read."""
        await ensure_topics(self.bootstrap_servers, [self.topic])
        consumer = AIOKafkaConsumer(
            self.topic,  # subscribed without a group: every partition is this consumer's
            bootstrap_servers=self.bootstrap_servers,
            client_id=self.client_id,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",  # no group, so no committed offsets: from the beginning
            **kafka_client_options(),
        )
        await consumer.start()
        self._consumer = consumer
        try:
            partitions = await self._partitions(consumer)
        except BaseException:
            await self.stop()
            raise
        ends = await consumer.end_offsets(partitions)
        while await self._behind(consumer, ends):
            await self._read(consumer, timeout_ms=1000)
        self._task = asyncio.create_task(self._follow(consumer), name="customer token revocations")
        log.info("revocations: %d deleted customers' tokens refused", len(self.revoked))

    async def _partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        """The topic's partitions, once assigned (a topic created a moment ago may not be in the
        cluster's metadata yet)."""
        deadline = asyncio.get_running_loop().time() + METADATA_WAIT_SECONDS
        while not consumer.assignment():
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(
                    f"revocations: no partition of {self.topic} after {METADATA_WAIT_SECONDS} s"
                )
            await asyncio.sleep(0.05)
        return sorted(consumer.assignment())

    @staticmethod
    async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
        for partition, end in ends.items():
            if await consumer.position(partition) < end:
                return True
        return False

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            try:
                await self._read(consumer, timeout_ms=1000)
            except asyncio.CancelledError:
                raise
            except Exception:  # a broker hiccup: aiokafka reconnects; keep reading
                log.exception("revocations: reading %s failed; retrying", self.topic)
                await asyncio.sleep(1)

    async def _read(self, consumer: AIOKafkaConsumer, *, timeout_ms: int) -> None:
        batches = await consumer.getmany(timeout_ms=timeout_ms)
        for messages in batches.values():
            for message in messages:
                self._apply(message.value)

    def _apply(self, raw: bytes | None) -> None:
        if raw is None:
            return
        try:
            envelope = Envelope.from_json(raw)
            event = CustomerDeleted.model_validate(envelope.data)
        except ValueError:
            log.warning("revocations: a message on %s is not a CustomerDeleted; skipped", self.topic)
            return
        self.revoked.revoke(event.customer_id, at=envelope.occurred_at.timestamp())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None


async def start_revocations(app: FastAPI, runtime: ServiceRuntime) -> RevocationListener:
    """The listener of a service process (`shared.service.runtime_lifespan`), caught up and following;
    entries kept for the app's customer token lifetime."""
    settings = getattr(app.state, "settings", None)
    if isinstance(settings, ServiceSettings):
        REVOKED_CUSTOMERS.keep_seconds = settings.customer_token_ttl_seconds
    listener = RevocationListener(
        runtime.kafka_bootstrap_servers,
        topic_prefix=runtime.topic_prefix,
        client_id=f"{runtime.name}-revocations",
    )
    await listener.start()
    return listener
