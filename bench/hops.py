"""Where an open-loop checkout's time goes between services, hop by hop, from Kafka's own clocks.

Every integration event of a checkout is keyed by its order id, and the relay that sends it stamps
the record (`CreateTime`). So the time from one event of an order to the next event a service
published because of it is that hop as the shop lives it: the record's way through Kafka, the
consumer's fetch, its unit of work, the next relay's send. The records are read after the run,
those sent since it began, so the measure costs the stack nothing while it runs. Only hops between
two services are counted; the gaps a shopper or an admin fills (checkout to payment, authorization
to capture) are not hops.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from bench.stats import summary
from checkout_admin.config import StackConfig
from checkout_admin.replay import topic_history
from shared.contracts.integration_event import topic_for


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


async def read_stamps(bootstrap_servers: str, topic_prefix: str, since: datetime) -> list[Stamp]:
    """The chain's records the relays sent since `since`, up to the topics' ends now (read as
    `checkout-admin replay --from-time` reads a topic's history)."""
    event_types = {topic_for(event_type, topic_prefix): event_type for event_type in TOPICS}
    config = StackConfig("", bootstrap_servers, topic_prefix)
    async with topic_history(config, list(event_types), from_time=since, skip_missing=True) as history:
        return [
            Stamp(event_types[record.topic], record.key.decode(), record.timestamp)
            async for record in history.records()
            if record.key is not None
        ]
