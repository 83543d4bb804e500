"""The promotion list behind `GET /v2/promotions`."""

from __future__ import annotations

from typing import ClassVar

from services.cart.domain.events import CART_EVENTS, PromotionDefined
from shared.eventstore.database import DbConnection
from shared.projections.projection import Projected, Projection


class PromotionsProjection(Projection):
    name: ClassVar[str] = "promotions"
    registry = CART_EVENTS
    event_types = frozenset({"PromotionDefined", "PromotionDeleted"})

    def ddl(self, schema: str) -> list[str]:
        return [
            f'CREATE TABLE IF NOT EXISTS "{schema}".promotions ('
            " id text PRIMARY KEY, name text NOT NULL, enabled boolean NOT NULL,"
            " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)",
        ]

    async def apply(self, conn: DbConnection, schema: str, event: Projected) -> None:
        promotion_id = event.stream_id.removeprefix("promotion-")
        defined = event.event
        if not isinstance(defined, PromotionDefined):  # PromotionDeleted
            await conn.execute(f'DELETE FROM "{schema}".promotions WHERE id = $1', promotion_id)  # noqa: S608
            return
        await conn.execute(
            f'INSERT INTO "{schema}".promotions VALUES ($1, $2, $3, $4, $4)'  # noqa: S608
            " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, enabled = EXCLUDED.enabled,"
            " updated_at = EXCLUDED.updated_at",
            promotion_id,
            defined.name,
            defined.enabled,
            event.occurred_at,
        )
