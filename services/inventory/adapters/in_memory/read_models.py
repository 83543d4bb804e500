"""The inventory's read models folded from the in-memory store's committed streams, as its
projections fold them from the log: managed stock oldest first, reservations past their deadline."""

from __future__ import annotations

from datetime import UTC, datetime

from services.inventory.application.ports import DUE_RESERVATIONS, STOCK_LISTING
from services.inventory.domain.allocation import OrderAllocation
from services.inventory.domain.stock import Stock
from shared.contracts.envelope import utc_now
from shared.domain.aggregate import Aggregate
from shared.eventstore.in_memory import InMemoryDatabase

_LONG_AGO = datetime.min.replace(tzinfo=UTC)


def _all(database: InMemoryDatabase, cls: type[Aggregate]) -> list[Aggregate]:
    prefix = f"{cls.stream_type}-"
    return [
        cls.rehydrate(
            stream_id.removeprefix(prefix),
            [cls.registry.load(r.event_type, r.schema_version, r.data) for r in records],
        )
        for stream_id, records in database.store.streams.items()
        if stream_id.startswith(prefix)
    ]


class InMemoryStockListing:
    def __init__(self, database: InMemoryDatabase) -> None:
        self._database = database

    async def page(self, limit: int, offset: int) -> tuple[list[str], int]:
        stocks = [s for s in _all(self._database, Stock) if isinstance(s, Stock) and s.tracked]
        stocks.sort(key=lambda stock: (stock.created_at or _LONG_AGO, stock.id))
        return [stock.id for stock in stocks[offset : offset + limit]], len(stocks)


class InMemoryDueReservations:
    def __init__(self, database: InMemoryDatabase) -> None:
        self._database = database

    async def due(self, batch: int) -> list[str]:
        now = utc_now()
        due = [
            a
            for a in _all(self._database, OrderAllocation)
            if isinstance(a, OrderAllocation) and a.reservation_expired(now)
        ]
        due.sort(key=lambda allocation: allocation.expires_at or _LONG_AGO)
        return [allocation.id for allocation in due[:batch]]


def provide_in_memory_read_models(database: InMemoryDatabase) -> None:
    database.adapters.provide(STOCK_LISTING, InMemoryStockListing)
    database.adapters.provide(DUE_RESERVATIONS, InMemoryDueReservations)
