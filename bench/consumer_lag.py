"""Consumer lag per consumer group, from the Kafka admin API: end offsets minus committed offsets."""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient


@dataclass(frozen=True)
class LagSample:
    at: float
    lag: dict[str, int]
    """Messages not yet committed, summed over each group's partitions."""


class LagSampler:
    """One admin client and one group-less consumer (to read end offsets) for the whole run."""

    def __init__(self, bootstrap_servers: str) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="bench-lag")
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, client_id="bench-lag")

    async def start(self) -> None:
        await self._admin.start()
        await self._consumer.start()

    async def aclose(self) -> None:
        await self._consumer.stop()
        await self._admin.close()

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
