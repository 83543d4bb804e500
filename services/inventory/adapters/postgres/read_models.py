"""The inventory's read models on PostgreSQL: the `stock` projection's listing and the
`reservations` projection's open reservations, read on the pool in one statement each."""

from __future__ import annotations

from services.inventory.application.ports import DUE_RESERVATIONS, STOCK_LISTING
from services.inventory.projections.reservations import ReservationsProjection
from services.inventory.projections.stock import StockProjection
from shared.eventstore.unit_of_work import Database
from shared.projections.listing import page_of_ids

_DUE = (
    f'SELECT order_id FROM "{ReservationsProjection().schema}".open_reservations'  # noqa: S608
    " WHERE expires_at <= now() ORDER BY expires_at LIMIT $1"
)


class PostgresStockListing:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def page(self, limit: int, offset: int) -> tuple[list[str], int]:
        table = f'"{StockProjection().schema}".stock'
        return await page_of_ids(self._database.pool, table, "product_id", limit, offset, where="tracked")


class PostgresDueReservations:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def due(self, batch: int) -> list[str]:
        return [row["order_id"] for row in await self._database.pool.fetch(_DUE, batch)]


def provide_postgres_read_models(database: Database) -> None:
    database.adapters.provide(STOCK_LISTING, PostgresStockListing)
    database.adapters.provide(DUE_RESERVATIONS, PostgresDueReservations)
