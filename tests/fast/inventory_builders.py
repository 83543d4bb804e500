"""The inventory's in-memory database as the fast tier's inventory tests start from, and its levels."""

from __future__ import annotations

from functools import partial

from services.inventory.application.stock_admin import create_stock
from services.inventory.domain.stock import Stock
from shared.eventstore.in_memory import InMemoryDatabase
from shared.eventstore.port import UnitOfWork

SHELF = (("shoe", 5), ("hat", 1))
"""Five shoes and one hat."""


async def stocked_database() -> InMemoryDatabase:
    """The inventory's database with the SHELF's stock created by the admin's handler."""
    database = InMemoryDatabase(producer="inventory")
    for product, quantity in SHELF:
        await database.run(partial(_create, product_id=product, quantity=quantity))
    return database


async def _create(uow: UnitOfWork, *, product_id: str, quantity: int) -> Stock:
    return await create_stock(uow, product_id, quantity)


async def levels(database: InMemoryDatabase, *products: str) -> list[tuple[int, int]]:
    """(total, allocated) of each product."""
    stocks = [await database.read(Stock, product) for product in products]
    return [(stock.total, stock.allocated) for stock in stocks]
