"""Stock levels and the transaction history, for `/v2/inventories` lists."""

from __future__ import annotations

from typing import ClassVar

from shared.eventstore.database import DbConnection
from shared.eventstore.store import RecordedEvent
from shared.projections.projection import Projection


class StockProjection(Projection):
    name: ClassVar[str] = "stock"
    event_types = frozenset({"StockMovement", "StockUntracked"})

    def ddl(self, schema: str) -> list[str]:
        return [
            f'CREATE TABLE IF NOT EXISTS "{schema}".stock ('
            " product_id text PRIMARY KEY, total bigint NOT NULL, allocated bigint NOT NULL,"
            " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)",
            f'CREATE TABLE IF NOT EXISTS "{schema}".transactions ('
            " id text PRIMARY KEY, product_id text NOT NULL, action text NOT NULL, quantity bigint NOT NULL,"
            " order_id text, created_at timestamptz NOT NULL)",
            f'CREATE INDEX IF NOT EXISTS transactions_by_product ON "{schema}".transactions'
            " (product_id, created_at)",
        ]

    async def apply(self, conn: DbConnection, schema: str, event: RecordedEvent) -> None:
        product_id = event.stream_id.removeprefix("stock-")
        if event.event_type == "StockUntracked":
            await conn.execute(f'DELETE FROM "{schema}".stock WHERE product_id = $1', product_id)  # noqa: S608
            return
        d = event.data
        await conn.execute(
            f'INSERT INTO "{schema}".stock VALUES ($1, $2, $3, $4, $4)'  # noqa: S608
            " ON CONFLICT (product_id) DO UPDATE SET total = EXCLUDED.total, allocated = EXCLUDED.allocated,"
            " updated_at = EXCLUDED.updated_at",
            product_id,
            d["total_after"],
            d["allocated_after"],
            event.occurred_at,
        )
        await conn.execute(
            f'INSERT INTO "{schema}".transactions VALUES ($1, $2, $3, $4, $5, $6)'  # noqa: S608
            " ON CONFLICT (id) DO NOTHING",
            d["transaction_id"],
            product_id,
            d["action"],
            d["quantity"],
            d.get("order_id"),
            event.occurred_at,
        )
