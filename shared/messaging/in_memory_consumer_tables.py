"""`ConsumerTables` in memory, for the fast tier: the inbox is the in-memory store's (a unit of
work records its rows and commits them with its events), parked messages a list here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from shared.eventstore.in_memory import InMemoryDatabase
from shared.messaging.consumer_tables import ConsumerUnit, ParkedMessage


@dataclass(frozen=True)
class _Parked:
    message: ParkedMessage
    consumer: str
    event_id: UUID


class InMemoryConsumerTables:
    def __init__(self, database: InMemoryDatabase) -> None:
        self._database = database
        self._parked: list[_Parked] = []
        self._next_id = 1

    async def claim(
        self, uow: ConsumerUnit, consumer: str, event_ids: Sequence[UUID], topics: Sequence[str]
    ) -> set[UUID]:
        fresh = {i: t for i, t in zip(event_ids, topics, strict=True) if not self._applied(consumer, i)}
        uow.record_inbox(consumer, list(fresh), list(fresh.values()))
        return set(fresh)

    async def seen(self, consumer: str, event_id: UUID) -> bool:
        return self._applied(consumer, event_id)

    async def park(
        self, consumer: str, key: str, event_id: UUID, topic: str, payload: bytes, reason: str
    ) -> None:
        if any(p.consumer == consumer and p.event_id == event_id for p in self._parked):
            return
        self._parked.append(_Parked(ParkedMessage(self._next_id, key, topic, payload), consumer, event_id))
        self._next_id += 1

    async def parked(self, consumer: str, key: str | None = None) -> list[ParkedMessage]:
        return [
            p.message
            for p in self._parked
            if p.consumer == consumer and (key is None or p.message.key == key)
        ]

    async def unpark(self, parked_id: int) -> None:
        self._parked = [p for p in self._parked if p.message.id != parked_id]

    def _applied(self, consumer: str, event_id: UUID) -> bool:
        return (consumer, event_id) in self._database.store.inbox
