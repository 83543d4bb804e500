"""Where an open-loop checkout's time goes between services, hop by hop, from Kafka's own clocks.

Every integration event of a checkout is keyed by its order id, and the relay that sends it stamps
the record (`CreateTime`). So the time from one event of an order to the next event a service
published because of it is that hop as the shop lives it: the record's way through Kafka, the
consumer's fetch, its unit of work, the next relay's send. The records are read after the run, from
the end offsets marked before it to those after it, so the measure costs the stack nothing while it
runs. Only hops between two services are counted; the gaps a shopper or an admin fills (checkout to
payment, authorization to capture) are not hops.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.kafka_clients import OffsetClients
from bench.stats import summary
from shared.contracts.integration_event import topic_for
from shared.messaging.kafka_security import kafka_client_options


@dataclass(frozen=True)
class Hop:
    """From an order's ``source`` event to the first of ``targets`` after it: ``who``'s work."""

    source: str
    targets: tuple[str, ...]
    who: str

    @property
    def name(self) -> str:
        return f"{self.source} -> {' | '.join(self.targets)} ({self.who})"


HOPS: tuple[Hop, ...] = (
    Hop("CartCheckedOut", ("OrderCreated",), "order opens it"),
    Hop("StockAllocationRequested", ("StockAllocated",), "inventory allocates"),
    Hop("StockAllocated", ("PaymentAuthorized", "PaymentCaptured"), "payment answers"),
    Hop("PaymentCaptured", ("OrderCompleted",), "order completes"),
    Hop("OrderFulfilmentRequested", ("OrderShipped",), "fulfilment ships"),
    Hop("OrderShipped", ("StockDecremented",), "inventory decrements"),
)
TOPICS: tuple[str, ...] = tuple(sorted({t for hop in HOPS for t in (hop.source, *hop.targets)}))


class Stamp(NamedTuple):
    """One record of a checkout's chain: its event type (the topic without prefix), key, time (ms)."""

    event_type: str
    order_id: str
    at_ms: int


def hop_latencies(stamps: Iterable[Stamp], hops: Sequence[Hop] = HOPS) -> dict[str, list[float]]:
    """Each hop's latencies (ms) over the orders whose source and a target both were read.

    An order's source may repeat (a redelivered relay send): its first time counts, and the target is
    the first one at or after it."""
    times: dict[tuple[str, str], list[int]] = defaultdict(list)
    for stamp in stamps:
        times[(stamp.order_id, stamp.event_type)].append(stamp.at_ms)
    orders = {order_id for order_id, _ in times}
    latencies: dict[str, list[float]] = {hop.name: [] for hop in hops}
    for order_id in orders:
        for hop in hops:
            sources = times.get((order_id, hop.source))
            if not sources:
                continue
            start = min(sources)
            after = [t for target in hop.targets for t in times.get((order_id, target), ()) if t >= start]
            if after:
                latencies[hop.name].append(float(min(after) - start))
    return latencies


def hop_summaries(latencies: Mapping[str, Sequence[float]]) -> dict[str, dict[str, float]]:
    return {name: summary(values) for name, values in latencies.items() if values}


class HopReader(OffsetClients):
    """Marks the chain's topics' ends before a run and reads what was written to them since."""

    def __init__(self, bootstrap_servers: str, topic_prefix: str) -> None:
        super().__init__(bootstrap_servers, "bench-hops")
        self._bootstrap = bootstrap_servers
        self._topics = {topic_for(event_type, topic_prefix): event_type for event_type in TOPICS}

    async def _partitions(self) -> list[TopicPartition]:
        return [
            TopicPartition(str(topic["topic"]), int(p["partition"]))
            for topic in await self._admin.describe_topics(list(self._topics))
            for p in topic["partitions"]
        ]

    async def mark(self) -> dict[TopicPartition, int]:
        """Every chain partition's end offset now."""
        partitions = await self._partitions()
        return {tp: int(end) for tp, end in (await self._consumer.end_offsets(partitions)).items()}

    async def read_since(self, marks: Mapping[TopicPartition, int]) -> list[Stamp]:
        """The records written since ``marks`` up to the ends now, as stamps."""
        ends = await self._consumer.end_offsets(list(marks))
        wanted = {tp: int(end) for tp, end in ends.items() if int(end) > marks[tp]}
        if not wanted:
            return []
        reader = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            client_id="bench-hops-reader",
            group_id=None,
            enable_auto_commit=False,
            **kafka_client_options(),
        )
        await reader.start()
        stamps: list[Stamp] = []
        try:
            reader.assign(list(wanted))
            for tp in wanted:
                reader.seek(tp, marks[tp])
            left = dict(wanted)
            while left:
                batches = await reader.getmany(timeout_ms=2000, max_records=10_000)
                if not batches:
                    break  # the ends were read before: nothing more can come for them
                for tp, records in batches.items():
                    event_type = self._topics[tp.topic]
                    for record in records:
                        if record.offset < wanted[tp] and record.key is not None:
                            stamps.append(Stamp(event_type, record.key.decode(), record.timestamp))
                    if records and records[-1].offset + 1 >= wanted[tp]:
                        left.pop(tp, None)
                        reader.pause(tp)
        finally:
            await reader.stop()
        return stamps
