"""Consumer lag per consumer group, from the Kafka admin API: end offsets minus committed offsets."""

from __future__ import annotations

from dataclasses import dataclass

from bench.kafka_clients import OffsetClients


@dataclass(frozen=True)
class LagSample:
    at: float
    lag: dict[str, int]
    """Messages not yet committed, summed over each group's partitions."""


class LagSampler(OffsetClients):
    """One admin client and one group-less consumer (to read end offsets) for the whole run."""

    def __init__(self, bootstrap_servers: str) -> None:
        super().__init__(bootstrap_servers, "bench-lag")

    async def sample(self, at: float) -> LagSample:
        lag: dict[str, int] = {}
        groups = [str(g[0]) for g in await self._admin.list_consumer_groups()]
        for group in sorted(groups):
            committed = await self._admin.list_consumer_group_offsets(group)
            if not committed:
                continue
            ends = await self._consumer.end_offsets(list(committed))
            lag[group] = sum(
                max(0, ends[tp] - meta.offset) for tp, meta in committed.items() if meta.offset >= 0
            )
        return LagSample(at, lag)
