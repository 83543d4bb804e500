"""`ConsumerTables` on PostgreSQL: the kernel's `inbox` and `parked_messages` tables
(`shared/eventstore/schema.py`) in the service's database."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer_tables import ConsumerUnit, ParkedMessage

_CLAIM = """
INSERT INTO inbox (consumer, event_id, topic)
SELECT $1, e.event_id, e.topic FROM unnest($2::uuid[], $3::text[]) AS e(event_id, topic)
ON CONFLICT DO NOTHING RETURNING event_id
"""
_SEEN = "SELECT true FROM inbox WHERE consumer = $1 AND event_id = $2"
_PARK = """
INSERT INTO parked_messages (consumer, key, event_id, topic, payload, reason)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (consumer, event_id) DO NOTHING
"""
_PARKED = "SELECT id, key, topic, payload FROM parked_messages WHERE consumer = $1 ORDER BY id"
_PARKED_UNDER = (
    "SELECT id, key, topic, payload FROM parked_messages WHERE consumer = $1 AND key = $2 ORDER BY id"
)
_UNPARK = "DELETE FROM parked_messages WHERE id = $1"


class PostgresConsumerTables:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def claim(
        self, uow: ConsumerUnit, consumer: str, event_ids: Sequence[UUID], topics: Sequence[str]
    ) -> set[UUID]:
        rows = await uow.connection.fetch(_CLAIM, consumer, list(event_ids), list(topics))
        return {row["event_id"] for row in rows}

    async def seen(self, consumer: str, event_id: UUID) -> bool:
        async with self._database.connection() as conn:
            return bool(await conn.fetchval(_SEEN, consumer, event_id))

    async def park(
        self, consumer: str, key: str, event_id: UUID, topic: str, payload: bytes, reason: str
    ) -> None:
        async with self._database.connection() as conn:
            await conn.execute(_PARK, consumer, key, event_id, topic, payload, reason)

    async def parked(self, consumer: str, key: str | None = None) -> list[ParkedMessage]:
        async with self._database.connection() as conn:
            rows = await (
                conn.fetch(_PARKED, consumer) if key is None else conn.fetch(_PARKED_UNDER, consumer, key)
            )
        return [ParkedMessage(row["id"], row["key"], row["topic"], bytes(row["payload"])) for row in rows]

    async def unpark(self, parked_id: int) -> None:
        async with self._database.connection() as conn:
            await conn.execute(_UNPARK, parked_id)
