"""What the inventory's readers need besides the event store: its read models, as ports its adapters
implement (PostgreSQL's projections in adapters/postgres, the fast tier's in adapters/in_memory).
Both are built on the database (`database.adapter(port)`): they read, outside any unit of work."""

from __future__ import annotations

from typing import Protocol

from shared.eventstore.port import Port


class StockListing(Protocol):
    async def page(self, limit: int, offset: int) -> tuple[list[str], int]:
        """A page of the products whose stock is managed, oldest stock first, and how many there are."""
        ...


class DueReservations(Protocol):
    async def due(self, batch: int) -> list[str]:
        """Up to `batch` orders whose checkout reservation is past its deadline and still held,
        soonest deadline first (the sweep re-checks each on the order's allocation)."""
        ...


STOCK_LISTING: Port[StockListing] = Port("inventory: stock listing")
DUE_RESERVATIONS: Port[DueReservations] = Port("inventory: due reservations")
