"""What a consumer keeps beside a service's events, as a port: the inbox (the messages it applied)
and the messages it parked until what they depend on arrives.

`EventConsumer` reaches both only through `ConsumerTables`, so it runs on PostgreSQL's tables
(`postgres_consumer_tables.py`, what services run) or on the fast tier's memory
(`in_memory_consumer_tables.py`, FastStream's test broker with no server at all). The inbox row of
a message is written with the unit of work that applies it, either by the unit itself in its one
statement (`ConsumerUnit.record_inbox`) or, in a unit with a transaction, by `claim`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from shared.eventstore.port import UnitOfWork


@dataclass(frozen=True)
class ParkedMessage:
    """A message kept until its prerequisite arrives: its row, key, topic and Kafka value."""

    id: int
    key: str
    topic: str
    payload: bytes


class ConsumerUnit(UnitOfWork, Protocol):
    """The unit of work a consumer applies messages in: a unit that also records its inbox rows
    (checked at commit: one already there fails the unit as a conflict) and appends each message's
    events under that message's correlation before the next one's handler runs."""

    def record_inbox(self, consumer: str, event_ids: list[UUID], topics: list[str]) -> None: ...

    async def flush_events(self) -> None: ...


class ConsumerDatabase(Protocol):
    """What a consumer needs of a service's database: units of work, in one statement or not."""

    def unit_of_work(self, *, one_statement: bool = False) -> AbstractAsyncContextManager[ConsumerUnit]: ...


class ConsumerTables(Protocol):
    async def claim(
        self, uow: ConsumerUnit, consumer: str, event_ids: Sequence[UUID], topics: Sequence[str]
    ) -> set[UUID]:
        """In `uow`, a unit with a transaction: add the messages to the inbox; those not there before."""
        ...

    async def seen(self, consumer: str, event_id: UUID) -> bool:
        """Whether the inbox holds the message (as committed)."""
        ...

    async def park(
        self, consumer: str, key: str, event_id: UUID, topic: str, payload: bytes, reason: str
    ) -> None:
        """Keep the message (once: parking it again changes nothing)."""
        ...

    async def parked(self, consumer: str, key: str | None = None) -> list[ParkedMessage]:
        """The consumer's parked messages (of one key, or all), oldest first."""
        ...

    async def unpark(self, parked_id: int) -> None:
        """Forget a parked message: applied, found done, or dead-lettered."""
        ...
