"""Stock levels per product and the stock transaction history, for `/v2/inventories` listings.

`stock`: one row per product inventory has heard of (total, allocated, available, whether the
catalogue manages it, whether an admin created stock for it). `transactions`: one row per stock
movement. Each movement carries the levels after it, so applying one is a plain upsert and a
replay gives the same rows.
"""

from __future__ import annotations

from typing import ClassVar

from services.inventory.domain.events import INVENTORY_EVENTS, StockManagementChanged, StockMovement
from shared.eventstore.database import DbConnection
from shared.projections.projection import Projected, Projection


class StockProjection(Projection):
    name: ClassVar[str] = "stock"
    registry = INVENTORY_EVENTS
    event_types = frozenset({"StockMovement", "StockUntracked", "StockManagementChanged"})

    def ddl(self, schema: str) -> list[str]:
        return [
            f'CREATE TABLE IF NOT EXISTS "{schema}".stock ('
            " product_id text PRIMARY KEY,"
            " total bigint NOT NULL DEFAULT 0, allocated bigint NOT NULL DEFAULT 0,"
            " available bigint GENERATED ALWAYS AS (total - allocated) STORED,"
            " tracked boolean NOT NULL DEFAULT false, managed boolean,"
            " version integer NOT NULL,"
            " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)",
            f'CREATE TABLE IF NOT EXISTS "{schema}".transactions ('
            " id text PRIMARY KEY, product_id text NOT NULL, action text NOT NULL, quantity bigint NOT NULL,"
            " order_id text, total_after bigint NOT NULL, allocated_after bigint NOT NULL,"
            " created_at timestamptz NOT NULL)",
            f'CREATE INDEX IF NOT EXISTS transactions_by_product ON "{schema}".transactions'
            " (product_id, created_at)",
        ]

    async def apply(self, conn: DbConnection, schema: str, event: Projected) -> None:
        product_id = event.stream_id.removeprefix("stock-")
        fact = event.event
        if isinstance(fact, StockManagementChanged):
            values: tuple[object, ...] = (fact.managed,)
            sql = "(product_id, managed, version, created_at, updated_at) VALUES ($1, $3, $2, $4, $4)"
            change = "managed = EXCLUDED.managed"
        else:
            tracked = isinstance(fact, StockMovement)
            levels = (fact.total_after, fact.allocated_after) if isinstance(fact, StockMovement) else (0, 0)
            values = (*levels, tracked)
            sql = (
                "(product_id, version, total, allocated, tracked, created_at, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $6)"
            )
            change = "total = EXCLUDED.total, allocated = EXCLUDED.allocated, tracked = EXCLUDED.tracked"
        upsert = (
            f'INSERT INTO "{schema}".stock {sql} ON CONFLICT (product_id) DO UPDATE SET {change},'
            " version = EXCLUDED.version, updated_at = EXCLUDED.updated_at"
        )
        if not isinstance(fact, StockMovement):  # StockUntracked, StockManagementChanged
            await conn.execute(upsert, product_id, event.version, *values, event.occurred_at)
            return
        # The movement's history row and the levels after it in one statement (one round trip a movement).
        await conn.execute(
            f'WITH movement AS (INSERT INTO "{schema}".transactions'  # noqa: S608
            " VALUES ($7, $1, $8, $9, $10, $3, $4, $6) ON CONFLICT (id) DO NOTHING) " + upsert,
            product_id,
            event.version,
            *values,
            event.occurred_at,
            fact.transaction_id,
            fact.action,
            fact.quantity,
            fact.order_id,
        )
