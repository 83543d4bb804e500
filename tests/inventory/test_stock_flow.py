"""Inventory's handlers on a real database: Elastic Path's documented flow, the admin's
transactions, the read models, the reservation deadline, and no oversell when 200 buyers race
for 50 units under either policy."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import ClassVar
from uuid import uuid4

import pytest

from services.inventory.application import order_flow, reading, stock_admin
from services.inventory.application.reservations import release_expired
from services.inventory.domain.errors import InsufficientStock, InvalidQuantity, StockNotFound
from services.inventory.domain.stock import Stock
from services.inventory.projections.reservations import ReservationsProjection
from services.inventory.projections.stock import StockProjection
from shared.contracts.events import ProductPublished, StockAllocationRequested
from shared.eventstore.database import DbConnection
from shared.eventstore.port import UnitOfWork
from shared.eventstore.store import RecordedEvent
from shared.eventstore.unit_of_work import Database
from shared.projections.projection import Projection
from shared.projections.runner import ProjectionRunner
from tests.inventory.builders import TTL, checkout, line
from tests.inventory.conftest import outbox


async def levels(db: Database, product: str) -> tuple[int, int, int]:
    async with db.unit_of_work() as uow:
        stock = await uow.load(Stock, product)
    return stock.total, stock.allocated, stock.available


def request(order_id: str, request_id: str, product: str, quantity: int) -> StockAllocationRequested:
    return StockAllocationRequested(order_id=order_id, request_id=request_id, lines=[line(product, quantity)])


async def projected(db: Database, projection: StockProjection | ReservationsProjection) -> ProjectionRunner:
    runner = ProjectionRunner(db.dsn, db.pool, projection)
    await runner.setup()
    await runner.catch_up()
    return runner


async def test_the_documented_flow_on_a_stock_of_ten(database: Database):
    product = str(uuid4())
    await database.run(lambda uow: stock_admin.create_stock(uow, product, 10))
    assert await levels(database, product) == (10, 0, 10)  # carts and checkouts allocate nothing

    await database.run(lambda uow: order_flow.request_allocation(uow, request("o1", "pay-1", product, 3)))
    assert await levels(database, product) == (10, 3, 7)
    await database.run(lambda uow: order_flow.mark_paid(uow, "o1"))
    assert await levels(database, product) == (10, 3, 7)
    await database.run(lambda uow: order_flow.ship(uow, "o1"))
    assert await levels(database, product) == (7, 0, 7)

    await database.run(lambda uow: order_flow.request_allocation(uow, request("o2", "pay-2", product, 2)))
    assert await levels(database, product) == (7, 2, 5)
    await database.run(lambda uow: order_flow.cancel(uow, "o2"))
    assert await levels(database, product) == (7, 0, 7)

    assert [(e["order_id"], e["request_id"]) for e in await outbox(database, "StockAllocated")] == [
        ("o1", "pay-1"),
        ("o2", "pay-2"),
    ]
    assert [e["order_id"] for e in await outbox(database, "StockDecremented")] == ["o1"]
    assert [(e["order_id"], e["reason"]) for e in await outbox(database, "StockReleased")] == [
        ("o2", "order cancelled")
    ]
    announced = [
        (e["total"], e["allocated"], e["available"], e["version"])
        for e in await outbox(database, "StockLevelChanged")
    ]
    assert announced == [(10, 0, 10, 1), (10, 3, 7, 2), (7, 0, 7, 3), (7, 2, 5, 4), (7, 0, 7, 5)]


async def test_admin_transactions_follow_elastic_paths_rules(database: Database):
    product = str(uuid4())
    with pytest.raises(StockNotFound):
        await database.run(lambda uow: stock_admin.transact(uow, product, "increment", 1))
    await database.run(lambda uow: stock_admin.create_stock(uow, product, 3))
    await database.run(lambda uow: stock_admin.transact(uow, product, "increment", 2))
    await database.run(lambda uow: stock_admin.transact(uow, product, "allocate", 4))
    assert await levels(database, product) == (5, 4, 1)
    with pytest.raises(InsufficientStock):
        await database.run(lambda uow: stock_admin.transact(uow, product, "decrement", 2))
    with pytest.raises(InsufficientStock):
        await database.run(lambda uow: stock_admin.transact(uow, product, "deallocate", 5))
    with pytest.raises(InvalidQuantity):
        await database.run(lambda uow: stock_admin.transact(uow, product, "increment", 0))
    assert await levels(database, product) == (5, 4, 1)  # refused transactions changed nothing

    await database.run(lambda uow: stock_admin.transact(uow, product, "deallocate", 4))
    await database.run(lambda uow: stock_admin.transact(uow, product, "decrement", 5))
    history, total = await reading.get_transactions(database, product, 100, 0)
    assert total == len(history)
    one = await reading.get_transaction(database, product, history[2].id)
    assert [(t.action, t.quantity) for t in history] == [
        ("set", 3),
        ("increment", 2),
        ("allocate", 4),
        ("deallocate", 4),
        ("decrement", 5),
    ]
    assert one == history[2]
    assert (await outbox(database, "StockLevelChanged"))[-1]["available"] == 0


async def test_the_read_models_list_managed_stock_and_every_transaction(database: Database):
    tracked, catalogue_only = str(uuid4()), str(uuid4())
    await database.run(lambda uow: stock_admin.create_stock(uow, tracked, 8))
    await database.run(lambda uow: order_flow.request_allocation(uow, request("o1", "pay-1", tracked, 3)))
    event = ProductPublished(product_id=catalogue_only, sku="s", name="n", manage_stock=True)
    await database.run(lambda uow: stock_admin.learn_product(uow, event))
    projection = StockProjection()
    await projected(database, projection)

    rows = await database.pool.fetch(
        f"SELECT product_id, total, allocated, available, managed, tracked FROM {projection.schema}.stock"  # noqa: S608
        " ORDER BY tracked DESC"
    )
    assert [tuple(r) for r in rows] == [
        (tracked, 8, 3, 5, None, True),
        (catalogue_only, 0, 0, 0, True, False),
    ]
    actions = await database.pool.fetch(
        f"SELECT action, quantity, order_id FROM {projection.schema}.transactions"  # noqa: S608
        " WHERE product_id = $1 ORDER BY created_at",
        tracked,
    )
    assert [tuple(r) for r in actions] == [("set", 8, None), ("allocate", 3, "o1")]
    assert await reading.list_stock(database, 10, 0) == ([tracked], 1)
    many = await reading.get_many(database, [catalogue_only, tracked, tracked])
    assert [s.id for s in many] == [tracked]
    announced = (await outbox(database, "StockLevelChanged"))[-1]
    assert (announced["product_id"], announced["managed"], announced["available"]) == (
        catalogue_only,
        True,
        0,
    )


async def test_unmanaged_products_are_never_blocked(database: Database):
    product = str(uuid4())
    event = ProductPublished(product_id=product, sku="free", name="Free", manage_stock=False)
    await database.run(lambda uow: stock_admin.learn_product(uow, event))
    await database.run(lambda uow: order_flow.request_allocation(uow, request("o1", "pay-1", product, 1000)))
    [allocated] = await outbox(database, "StockAllocated")
    assert (allocated["order_id"], allocated["lines"]) == ("o1", [])
    assert await levels(database, product) == (0, 0, 0)


async def test_unpaid_reservations_expire_and_paid_ones_stay(database: Database):
    product = str(uuid4())
    await database.run(lambda uow: stock_admin.create_stock(uow, product, 5))
    for order_id, ttl in [("abandoned", timedelta(0)), ("paid", timedelta(0)), ("in-time", TTL)]:

        async def reserve(uow: UnitOfWork, order_id: str = order_id, ttl: timedelta = ttl) -> object:
            return await order_flow.reserve_at_checkout(uow, checkout(order_id, (product, 1)), ttl)

        await database.run(reserve)
    await database.run(lambda uow: order_flow.mark_paid(uow, "paid"))
    assert await levels(database, product) == (5, 3, 2)

    reservations = await projected(database, ReservationsProjection())
    assert await release_expired(database) == 1
    assert await levels(database, product) == (5, 2, 3)
    [released] = await outbox(database, "StockReleased")
    assert (released["order_id"], released["reason"]) == ("abandoned", "reservation expired")
    await reservations.catch_up()
    assert await release_expired(database) == 0  # released once; the paid and the timely one stay
    assert [e["request_id"] for e in await outbox(database, "StockAllocated")] == ["checkout"] * 3


async def test_an_order_of_several_products_moves_all_of_them_or_none_under_contention(database: Database):
    scarce, plenty = str(uuid4()), str(uuid4())
    await database.run(lambda uow: stock_admin.create_stock(uow, scarce, 30))
    await database.run(lambda uow: stock_admin.create_stock(uow, plenty, 100))

    async def buy(n: int) -> None:
        lines = [line(plenty, 1), line(scarce, 1)]
        event = StockAllocationRequested(order_id=f"order-{n}", request_id="pay", lines=lines)
        await database.run(lambda uow: order_flow.request_allocation(uow, event), attempts=1000)

    await asyncio.gather(*(buy(n) for n in range(60)))
    assert await levels(database, scarce) == (30, 30, 0)
    assert await levels(database, plenty) == (100, 30, 70)  # never allocated without its partner


@pytest.mark.parametrize("policy", ["allocate_on_payment", "reserve_on_checkout"])
async def test_no_oversell_200_buyers_against_a_stock_of_50(database: Database, policy: str):
    product = str(uuid4())
    await database.run(lambda uow: stock_admin.create_stock(uow, product, 50))

    async def buy(n: int) -> None:
        async def handle(uow: UnitOfWork) -> object:
            if policy == "reserve_on_checkout":
                return await order_flow.reserve_at_checkout(uow, checkout(f"order-{n}", (product, 1)), TTL)
            return await order_flow.request_allocation(uow, request(f"order-{n}", f"pay-{n}", product, 1))

        await database.run(handle, attempts=1000)

    await asyncio.gather(*(buy(n) for n in range(200)))

    assert len(await outbox(database, "StockAllocated")) == 50
    assert len(await outbox(database, "StockAllocationFailed")) == 150
    assert await levels(database, product) == (50, 50, 0)
    rows = await database.pool.fetch(
        "SELECT version, data FROM events WHERE stream_id = $1 ORDER BY version", f"stock-{product}"
    )
    assert [r["version"] for r in rows] == list(range(1, 52))  # set, then one allocation per winner
    assert all(r["data"]["allocated_after"] <= r["data"]["total_after"] == 50 for r in rows)
    assert [r["data"]["allocated_after"] for r in rows] == list(range(51))


class StockOneAtATime(StockProjection):
    """The stock model folded the plain way, event by event, beside the live one."""

    name: ClassVar[str] = "stock_one_at_a_time"

    async def apply_batch(self, conn: DbConnection, schema: str, events: Sequence[RecordedEvent]) -> None:
        await Projection.apply_batch(self, conn, schema, events)


async def test_a_batch_of_movements_folds_to_the_rows_one_at_a_time_gives(database: Database):
    """The stock model folds a run of movements in one statement: the same rows, to the timestamp,
    as folding them one by one (a product's row created at its first movement, its levels those
    after its last; another event in the run keeps its place)."""
    first, second = str(uuid4()), str(uuid4())
    await database.run(lambda uow: stock_admin.create_stock(uow, first, 8))
    await database.run(lambda uow: stock_admin.create_stock(uow, second, 5))
    await database.run(lambda uow: order_flow.request_allocation(uow, request("o1", "pay-1", first, 3)))
    event = ProductPublished(product_id=second, sku="s", name="n", manage_stock=True)
    await database.run(lambda uow: stock_admin.learn_product(uow, event))
    await database.run(lambda uow: order_flow.request_allocation(uow, request("o2", "pay-2", second, 2)))
    await database.run(lambda uow: order_flow.request_allocation(uow, request("o3", "pay-3", first, 1)))
    batched, one_at_a_time = StockProjection(), StockOneAtATime()
    await projected(database, batched)
    await projected(database, one_at_a_time)

    async def rows(schema: str, table: str) -> list[tuple[object, ...]]:
        found = await database.pool.fetch(f'SELECT * FROM "{schema}".{table} ORDER BY 1')  # noqa: S608
        return [tuple(r) for r in found]

    for table in ("stock", "transactions"):
        assert await rows(batched.schema, table) == await rows(one_at_a_time.schema, table)
    assert [r[:3] for r in await rows(batched.schema, "stock")] == sorted([(first, 8, 4), (second, 5, 2)])
