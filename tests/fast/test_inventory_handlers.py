"""The inventory service's application handlers on the in-memory store (the fast tier): the
admin's stock commands, the catalogue's `manage_stock`, warehouse adjustments, and the order flow
(allocate all or none, release on cancel or failed payment, keep on payment, decrement once on
shipping, reserve at checkout and expire). The same handlers run on PostgreSQL behind Kafka in
tests/inventory and tests/e2e."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.inventory.application import order_flow
from services.inventory.application.stock_admin import delete_stock, learn_product, transact
from services.inventory.application.warehouse_adjustments import apply_adjustment
from services.inventory.domain.stock import Stock
from shared.contracts.events import ProductPublished
from shared.contracts.inbound import WarehouseStockAdjusted
from shared.domain.errors import DomainError
from shared.eventstore.in_memory import InMemoryDatabase
from tests.fast.inventory_builders import levels, stocked_database
from tests.fast.memory import published, published_data
from tests.inventory.builders import checkout, line


@pytest.fixture
async def database() -> InMemoryDatabase:
    return await stocked_database()


async def allocate(
    database: InMemoryDatabase, order_id: str, *lines: tuple[str, int], payment: str = ""
) -> bool:
    """The allocation a payment (`payment`, its transaction id) asks for."""
    wanted = [line(product, quantity) for product, quantity in lines]
    request = payment or f"t-{order_id}"
    answer = await database.run(lambda uow: order_flow.allocate(uow, order_id, request, wanted))
    return answer.allocated


async def test_stock_commands_set_move_and_stop_managing_stock(database: InMemoryDatabase) -> None:
    await database.run(lambda uow: transact(uow, "shoe", "increment", 3))
    await database.run(lambda uow: transact(uow, "shoe", "allocate", 2))
    assert await levels(database, "shoe") == [(8, 2)]
    with pytest.raises(DomainError):  # refused while orders hold part of it
        await database.run(lambda uow: delete_stock(uow, "shoe"))
    await database.run(lambda uow: transact(uow, "shoe", "deallocate", 2))
    await database.run(lambda uow: delete_stock(uow, "shoe"))
    assert not (await database.read(Stock, "shoe")).tracked
    levels_published = published_data(database, "StockLevelChanged")
    assert [level["available"] for level in levels_published if level["product_id"] == "shoe"] == [
        5,
        8,
        6,
        8,
        0,
    ]


async def test_the_catalogue_s_manage_stock_is_learnt_once(database: InMemoryDatabase) -> None:
    product = ProductPublished(product_id="shoe", sku="shoe", name="Shoe", manage_stock=False)
    before = len(published(database))
    await database.run(lambda uow: learn_product(uow, product))
    await database.run(lambda uow: learn_product(uow, product))
    assert (await database.read(Stock, "shoe")).managed is False
    assert len(published(database)) == before + 1


async def test_warehouse_adjustments_apply_or_are_refused_and_recorded(database: InMemoryDatabase) -> None:
    received = WarehouseStockAdjusted(product_id="hat", kind="received", quantity=4)
    await database.run(lambda uow: apply_adjustment(uow, received, "adj-1"))
    assert await levels(database, "hat") == [(5, 0)]
    assert await allocate(database, "o-1", ("hat", 5))
    damaged = WarehouseStockAdjusted(product_id="hat", kind="damaged", quantity=1)  # below what orders hold
    await database.run(lambda uow: apply_adjustment(uow, damaged, "adj-2"))
    assert await levels(database, "hat") == [(5, 5)]
    assert [topic for topic, _ in published(database)][-1] == "WarehouseStockAdjustmentRefused"


async def test_an_order_is_allocated_all_or_none_and_answered_the_same_again(
    database: InMemoryDatabase,
) -> None:
    assert not await allocate(database, "o-1", ("shoe", 2), ("hat", 2))  # one hat short: nothing moves
    assert await levels(database, "shoe", "hat") == [(5, 0), (1, 0)]
    assert await allocate(database, "o-2", ("shoe", 2), ("hat", 1))
    assert await allocate(database, "o-2", ("shoe", 2), ("hat", 1))  # the same request again
    assert await levels(database, "shoe", "hat") == [(5, 2), (1, 1)]
    replies = [topic for topic, _ in published(database) if topic.startswith("StockAlloca")]
    assert replies == ["StockAllocationFailed", "StockAllocated", "StockAllocated"]


async def test_a_cancelled_order_or_failed_payment_releases_its_stock(database: InMemoryDatabase) -> None:
    assert await allocate(database, "o-1", ("shoe", 2))
    assert await allocate(database, "o-2", ("shoe", 3), payment="t-2")
    await database.run(lambda uow: order_flow.cancel(uow, "o-1"))
    await database.run(lambda uow: order_flow.payment_failed(uow, "o-2", "t-other"))  # not its payment
    assert await levels(database, "shoe") == [(5, 3)]
    await database.run(lambda uow: order_flow.payment_failed(uow, "o-2", "t-2"))
    assert await levels(database, "shoe") == [(5, 0)]
    assert [topic for topic, _ in published(database)].count("StockReleased") == 2


async def test_a_shipped_order_decrements_its_stock_once(database: InMemoryDatabase) -> None:
    assert await allocate(database, "o-1", ("shoe", 2))
    await database.run(lambda uow: order_flow.mark_paid(uow, "o-1"))
    await database.run(lambda uow: order_flow.ship(uow, "o-1"))
    await database.run(lambda uow: order_flow.ship(uow, "o-1"))
    assert await levels(database, "shoe") == [(3, 0)]
    assert published_data(database, "StockDecremented") == [
        {"order_id": "o-1", "lines": [{"product_id": "shoe", "quantity": 2}]}
    ]


async def test_a_checkout_reservation_holds_stock_until_it_expires(database: InMemoryDatabase) -> None:
    order = checkout("o-1", ("shoe", 4))
    answer = await database.run(lambda uow: order_flow.reserve_at_checkout(uow, order, timedelta(0)))
    assert answer.allocated and await levels(database, "shoe") == [(5, 4)]
    assert await database.run(lambda uow: order_flow.expire_reservation(uow, "o-1"))
    assert await levels(database, "shoe") == [(5, 0)]

    kept = checkout("o-2", ("shoe", 1))
    await database.run(lambda uow: order_flow.reserve_at_checkout(uow, kept, timedelta(hours=1)))
    assert not await database.run(lambda uow: order_flow.expire_reservation(uow, "o-2"))
    assert await levels(database, "shoe") == [(5, 1)]
