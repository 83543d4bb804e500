"""Stock levels per product and the stock transaction history, for `/v2/inventories` listings.

`stock`: one row per product inventory has heard of (total, allocated, available, whether the
catalogue manages it, whether an admin created stock for it). `transactions`: one row per stock
movement. Each movement carries the levels after it, so applying one is a plain upsert and a
replay gives the same rows; a run of movements in a batch is one statement (their history rows,
and each product's levels after its last one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from services.inventory.domain.events import INVENTORY_EVENTS, StockManagementChanged, StockMovement
from shared.eventstore.database import DbConnection
from shared.eventstore.store import RecordedEvent
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

    async def apply_batch(self, conn: DbConnection, schema: str, events: Sequence[RecordedEvent]) -> None:
        """Runs of movements in one statement each; any other event on its own, in log order."""
        run: list[tuple[Projected, StockMovement]] = []
        for record in events:
            if not self.wants(record):
                continue
            event = self.projected(record)
            if isinstance(event.event, StockMovement):
                run.append((event, event.event))
                continue
            await self._movements(conn, schema, run)
            run = []
            await self.apply(conn, schema, event)
        await self._movements(conn, schema, run)

    async def _movements(
        self, conn: DbConnection, schema: str, run: Sequence[tuple[Projected, StockMovement]]
    ) -> None:
        """Movements' history rows, and each product's levels after its last movement of the run (a
        product first seen in the run is created at its first movement's time, as one at a time)."""
        if not run:
            return
        await conn.execute(
            f"WITH m AS (SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[],"  # noqa: S608
            " $5::timestamptz[], $6::text[], $7::text[], $8::bigint[], $9::text[])"
            " AS m(product_id, version, total, allocated, at, id, action, quantity, order_id)),"
            f' movement AS (INSERT INTO "{schema}".transactions'
            " SELECT id, product_id, action, quantity, order_id, total, allocated, at FROM m"
            " ON CONFLICT (id) DO NOTHING)"
            f' INSERT INTO "{schema}".stock AS s (product_id, version, total, allocated, tracked,'
            " created_at, updated_at)"
            " SELECT DISTINCT ON (product_id) product_id, version, total, allocated, true,"
            " min(at) OVER (PARTITION BY product_id), at FROM m"
            " ORDER BY product_id, version DESC"
            " ON CONFLICT (product_id) DO UPDATE SET total = EXCLUDED.total,"
            " allocated = EXCLUDED.allocated, tracked = EXCLUDED.tracked, version = EXCLUDED.version,"
            " updated_at = EXCLUDED.updated_at",
            [e.stream_id.removeprefix("stock-") for e, _ in run],
            [e.version for e, _ in run],
            [f.total_after for _, f in run],
            [f.allocated_after for _, f in run],
            [e.occurred_at for e, _ in run],
            [f.transaction_id for _, f in run],
            [f.action for _, f in run],
            [f.quantity for _, f in run],
            [f.order_id for _, f in run],
        )

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
