"""The inventory's reads and its reservation sweep on the in-memory database (the fast tier): one
product's stock and its history a page at a time, the listing of managed stock, and the sweep that
releases checkout reservations past their deadline (and only those)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest

from services.inventory.adapters.in_memory.read_models import provide_in_memory_read_models
from services.inventory.application import order_flow, reading
from services.inventory.application.reservations import release_expired
from services.inventory.application.stock_admin import create_stock, delete_stock, transact
from services.inventory.domain.errors import StockNotFound
from services.inventory.domain.stock import Stock
from shared.eventstore.in_memory import InMemoryDatabase
from tests.inventory.builders import checkout


@pytest.fixture
def database() -> InMemoryDatabase:
    database = InMemoryDatabase(producer="inventory")
    provide_in_memory_read_models(database)
    return database


async def test_a_product_s_stock_and_its_history_page_by_page(database: InMemoryDatabase) -> None:
    await database.run(lambda uow: create_stock(uow, "shoe", 5))
    for _ in range(3):
        await database.run(lambda uow: transact(uow, "shoe", "increment", 1))
    assert (await reading.get_stock(database, "shoe")).total == 8
    page, total = await reading.get_transactions(database, "shoe", 2, 1)
    assert total == 4 and [t.action for t in page] == ["increment", "increment"]
    one = await reading.get_transaction(database, "shoe", page[0].id)
    assert one == page[0]
    with pytest.raises(StockNotFound):
        await reading.get_transaction(database, "shoe", "no-such-transaction")
    with pytest.raises(StockNotFound):
        await reading.get_stock(database, "hat")  # never managed


async def test_the_listing_holds_managed_stock_oldest_first(database: InMemoryDatabase) -> None:
    for product in ("b-shoe", "a-hat", "c-belt"):
        await database.run(partial(create_stock, product_id=product, quantity=1))
    await database.run(lambda uow: delete_stock(uow, "a-hat"))
    assert await reading.list_stock(database, 10, 0) == (["b-shoe", "c-belt"], 2)
    assert await reading.list_stock(database, 1, 1) == (["c-belt"], 2)
    found = await reading.get_many(database, ["c-belt", "a-hat", "c-belt", "nothing"])
    assert [stock.id for stock in found] == ["c-belt"]


async def test_the_sweep_releases_only_reservations_past_their_deadline(database: InMemoryDatabase) -> None:
    await database.run(lambda uow: create_stock(uow, "shoe", 5))
    late, timely = checkout("o-late", ("shoe", 2)), checkout("o-timely", ("shoe", 1))
    await database.run(lambda uow: order_flow.reserve_at_checkout(uow, late, timedelta(0)))
    await database.run(lambda uow: order_flow.reserve_at_checkout(uow, timely, timedelta(hours=1)))
    assert await release_expired(database) == 1
    assert await release_expired(database) == 0  # released once
    stock = await database.read(Stock, "shoe")
    assert (stock.total, stock.allocated) == (5, 1)
