"""The promotion list behind `GET /v2/promotions`."""

from __future__ import annotations

from typing import ClassVar

from shared.eventstore.database import DbConnection
from shared.eventstore.store import RecordedEvent
from shared.projections.projection import Projection


class PromotionsProjection(Projection):
    name: ClassVar[str] = "promotions"
    event_types = frozenset({"PromotionDefined", "PromotionDeleted"})

    def ddl(self, schema: str) -> list[str]:
        return [
            f'CREATE TABLE IF NOT EXISTS "{schema}".promotions ('
            " id text PRIMARY KEY, name text NOT NULL, enabled boolean NOT NULL,"
            " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)",
        ]

    async def apply(self, conn: DbConnection, schema: str, event: RecordedEvent) -> None:
        promotion_id = event.stream_id.removeprefix("promotion-")
        if event.event_type == "PromotionDeleted":
            await conn.execute(f'DELETE FROM "{schema}".promotions WHERE id = $1', promotion_id)  # noqa: S608
            return
        await conn.execute(
            f'INSERT INTO "{schema}".promotions VALUES ($1, $2, $3, $4, $4)'  # noqa: S608
            " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, enabled = EXCLUDED.enabled,"
            " updated_at = EXCLUDED.updated_at",
            promotion_id,
            event.data["name"],
            bool(event.data.get("enabled", False)),
            event.occurred_at,
        )
