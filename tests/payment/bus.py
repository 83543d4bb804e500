"""The test's side of Kafka: publishing as the cart and inventory services would, and recording
everything the payment service publishes, with a fake inventory answering allocation requests."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.contracts import events as contracts
from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import IntegrationEvent
from shared.contracts.ownership import usual_producer
from shared.messaging.kafka_security import kafka_client_options
from tests.support.polling import DEADLINE_SECONDS, poll_until
from tests.support.services import RunningService
from tests.support.settling import end_offsets, services_settled

PUBLISHED = (
    "StockAllocationRequested",
    "PaymentAuthorized",
    "PaymentCaptured",
    "PaymentFailed",
    "PaymentRefunded",
    "PaymentCancelled",
)


@dataclass
class Bus:
    bootstrap_servers: str
    prefix: str
    seen: list[Envelope] = field(default_factory=list)
    out_of_stock: set[str] = field(default_factory=set)  # products the fake inventory refuses
    silent: set[str] = field(default_factory=set)  # products it never answers for
    _producer: AIOKafkaProducer | None = None
    _task: asyncio.Task[None] | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _read_to: dict[TopicPartition, int] = field(default_factory=dict)  # the next offset, per partition

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap_servers,
            acks="all",
            enable_idempotence=True,
            **kafka_client_options(),
        )
        await self._producer.start()
        consumer = AIOKafkaConsumer(
            *(self.prefix + t for t in PUBLISHED),
            bootstrap_servers=self.bootstrap_servers,
            auto_offset_reset="earliest",
            group_id=None,
            enable_auto_commit=False,
            **kafka_client_options(),
        )
        await consumer.start()
        self._task = asyncio.create_task(self._collect(consumer))

    async def __aenter__(self) -> Bus:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._producer is not None:
            await self._producer.stop()

    async def publish(self, event: IntegrationEvent, *, key: str, producer: str | None = None) -> Envelope:
        """Publish `event` as its topic's owner would (unless a test names another producer)."""
        assert self._producer is not None
        envelope = Envelope(
            event_type=event.event_type,
            schema_version=event.schema_version,
            aggregate_type=event.aggregate_type,
            aggregate_id=key,
            aggregate_version=1,
            correlation_id=f"test-{key}",
            producer=producer or usual_producer(event.event_type) or "test",
            data=event.model_dump(mode="json"),
        )
        await self._producer.send_and_wait(
            self.prefix + event.event_type,
            envelope.to_json(),
            key=key.encode(),
            headers=envelope.kafka_headers(),
        )
        return envelope

    def events(self, event_type: str, **data: Any) -> list[Envelope]:
        """What the service published of `event_type` whose data has these values, each event once:
        Kafka may carry one twice (a relay killed after publishing, before deleting its outbox row,
        publishes it again), and consumers take it once by its id."""
        distinct: dict[Any, Envelope] = {}
        for e in self.seen:
            if e.event_type == event_type and all(e.data.get(k) == v for k, v in data.items()):
                distinct.setdefault(e.event_id, e)
        return list(distinct.values())

    async def wait_for(self, event_type: str, timeout: float = 60, **data: Any) -> Envelope:
        return (await self.wait_for_all(event_type, 1, timeout, **data))[0]

    async def wait_for_all(
        self, event_type: str, count: int, timeout: float = 60, **data: Any
    ) -> list[Envelope]:
        """Once `count` matching events were published (a minute's deadline: they cross Kafka)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = self.events(event_type, **data)
            if len(found) >= count:
                return found
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(
                    f"{count} x {event_type} {data} not published within {timeout}s: {found}"
                )
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(remaining, 0.5))

    async def settled(self, service: RunningService) -> None:
        """Once the payment service has processed past everything published so far (its outbox
        relayed, its consumer group committed past the end of its topics: `tests.support.settling`)
        and this bus has read what it published: `events()` then holds every late duplicate too."""
        await services_settled(self.bootstrap_servers, self.prefix, [service])
        await self.caught_up()

    async def caught_up(self, timeout: float = DEADLINE_SECONDS) -> None:
        """Once this bus has read every topic it follows up to its end as of now."""
        ends = await end_offsets(self.bootstrap_servers, [self.prefix + t for t in PUBLISHED])

        def behind() -> dict[TopicPartition, int]:
            return {tp: end for tp, end in ends.items() if self._read_to.get(tp, 0) < end}

        left = await poll_until(behind, lambda found: not found, timeout=timeout, interval=0.05)
        assert not left, f"the bus did not read up to {left} within {timeout:.0f} s"

    async def _collect(self, consumer: AIOKafkaConsumer) -> None:
        try:
            async for record in consumer:
                envelope = Envelope.from_json(record.value)
                self.seen.append(envelope)
                self._read_to[TopicPartition(record.topic, record.partition)] = record.offset + 1
                self._arrived.set()
                if envelope.event_type == "StockAllocationRequested":
                    await self._answer(contracts.StockAllocationRequested.model_validate(envelope.data))
        finally:
            await consumer.stop()

    async def _answer(self, request: contracts.StockAllocationRequested) -> None:
        """The fake inventory: all or nothing, refusing when a product is flagged out of stock."""
        products = {line.product_id for line in request.lines}
        if products & self.silent:
            return
        short = [line for line in request.lines if line.product_id in self.out_of_stock]
        reply: IntegrationEvent
        if short:
            reply = contracts.StockAllocationFailed(
                order_id=request.order_id,
                request_id=request.request_id,
                reason="insufficient stock",
                short=short,
            )
        else:
            reply = contracts.StockAllocated(
                order_id=request.order_id, request_id=request.request_id, lines=request.lines
            )
        await self.publish(reply, key=request.order_id, producer="inventory")
