"""The product list behind `GET /v2/products`: one row per live product, in creation order."""

from __future__ import annotations

from typing import ClassVar

from services.cart.domain.events import CART_EVENTS, ProductDefined
from shared.eventstore.database import DbConnection
from shared.projections.projection import Projected, Projection


class CatalogueProjection(Projection):
    name: ClassVar[str] = "catalogue"
    registry = CART_EVENTS
    event_types = frozenset({"ProductDefined", "ProductDeleted"})

    def ddl(self, schema: str) -> list[str]:
        return [
            f'CREATE TABLE IF NOT EXISTS "{schema}".products ('
            " id text PRIMARY KEY, sku text NOT NULL, name text NOT NULL, status text NOT NULL,"
            " manage_stock boolean NOT NULL, definition jsonb NOT NULL, version integer NOT NULL,"
            " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)",
            f'CREATE INDEX IF NOT EXISTS products_created ON "{schema}".products (created_at, id)',
        ]

    async def apply(self, conn: DbConnection, schema: str, event: Projected) -> None:
        product_id = event.stream_id.removeprefix("product-")
        defined = event.event
        if not isinstance(defined, ProductDefined):  # ProductDeleted
            await conn.execute(f'DELETE FROM "{schema}".products WHERE id = $1', product_id)  # noqa: S608
            return
        await conn.execute(
            f'INSERT INTO "{schema}".products AS p VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)'  # noqa: S608
            " ON CONFLICT (id) DO UPDATE SET sku = EXCLUDED.sku, name = EXCLUDED.name,"
            " status = EXCLUDED.status, manage_stock = EXCLUDED.manage_stock,"
            " definition = EXCLUDED.definition, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at",
            product_id,
            defined.sku,
            defined.name,
            defined.status,
            defined.manage_stock,
            defined.model_dump(mode="json"),
            event.version,
            event.occurred_at,
        )
