"""Inventory's rules through its real handlers and a real database: Elastic Path's documented flow,
idempotency, order tolerance, all-or-nothing orders, and no oversell under 200 concurrent buyers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import uuid4

import pytest

from services.inventory.application import order_flow, stock_admin
from services.inventory.application.reservations import release_expired
from services.inventory.domain.errors import InsufficientStock, InvalidQuantity, StockNotFound
from services.inventory.domain.stock import Stock
from shared.contracts.values import StockLine
from shared.eventstore.unit_of_work import Database, UnitOfWork


@pytest.fixture
async def db(postgres):
    name = f"inventory_{uuid4().hex[:10]}"
    await postgres.create_database(name)
    database = Database(postgres.dsn(name), producer="inventory")
    await database.open(max_size=20)
    yield database
    await database.close()


async def stock_of(db: Database, product: str) -> tuple[int, int, int]:
    async with db.unit_of_work() as uow:
        stock = await uow.load(Stock, product)
    return stock.total, stock.allocated, stock.available


async def outbox(db: Database, topic: str) -> list[dict]:
    rows = await db.pool.fetch("SELECT payload FROM outbox WHERE topic = $1 ORDER BY id", topic)
    import orjson

    return [orjson.loads(r["payload"])["data"] for r in rows]


def line(product: str, quantity: int) -> list[StockLine]:
    return [StockLine(product_id=product, quantity=quantity)]


async def run(db: Database, fn) -> object:
    return await db.run(fn)


async def test_the_documented_flow_on_a_stock_of_ten(db):
    product = str(uuid4())
    await run(db, lambda uow: stock_admin.create_stock(uow, product, 10))
    assert await stock_of(db, product) == (10, 0, 10)  # checkout allocates nothing

    await run(db, lambda uow: order_flow.allocate(uow, "o1", "r1", line(product, 3)))  # pay (authorize)
    assert await stock_of(db, product) == (10, 3, 7)
    await run(db, lambda uow: order_flow.mark_paid(uow, "o1"))  # capture changes nothing
    assert await stock_of(db, product) == (10, 3, 7)
    await run(db, lambda uow: order_flow.ship(uow, "o1"))  # fulfilled: allocated and total go down
    assert await stock_of(db, product) == (7, 0, 7)

    await run(db, lambda uow: order_flow.allocate(uow, "o2", "r2", line(product, 2)))
    assert await stock_of(db, product) == (7, 2, 5)
    await run(db, lambda uow: order_flow.release(uow, "o2", "order cancelled", void=True))
    assert await stock_of(db, product) == (7, 0, 7)

    await run(db, lambda uow: order_flow.allocate(uow, "o3", "r3", line(product, 4)))
    await run(db, lambda uow: order_flow.release(uow, "o3", "payment failed"))  # a failed payment releases
    assert await stock_of(db, product) == (7, 0, 7)
    assert [e["request_id"] for e in await outbox(db, "StockAllocated")] == ["r1", "r2", "r3"]
    assert [e["reason"] for e in await outbox(db, "StockReleased")] == ["order cancelled", "payment failed"]
    assert len(await outbox(db, "StockDecremented")) == 1


async def test_duplicates_change_nothing_and_answers_repeat(db):
    product = str(uuid4())
    await run(db, lambda uow: stock_admin.create_stock(uow, product, 5))
    for _ in range(3):
        await run(db, lambda uow: order_flow.allocate(uow, "o1", "r1", line(product, 2)))
    await run(db, lambda uow: order_flow.allocate(uow, "o1", "r-retry", line(product, 2)))  # a second attempt
    assert await stock_of(db, product) == (5, 2, 3)
    for _ in range(2):
        await run(db, lambda uow: order_flow.ship(uow, "o1"))
    assert await stock_of(db, product) == (3, 0, 3)
    assert len(await outbox(db, "StockDecremented")) == 1


async def test_a_cancellation_before_its_allocation_leaves_nothing_allocated(db):
    product = str(uuid4())
    await run(db, lambda uow: stock_admin.create_stock(uow, product, 5))
    await run(db, lambda uow: order_flow.release(uow, "late", "order cancelled", void=True))
    await run(db, lambda uow: order_flow.allocate(uow, "late", "r1", line(product, 1)))
    assert await stock_of(db, product) == (5, 0, 5)
    [failed] = await outbox(db, "StockAllocationFailed")
    assert failed["order_id"] == "late" and "voided" in failed["reason"]


async def test_an_order_allocates_all_its_lines_or_none(db):
    plenty, scarce = str(uuid4()), str(uuid4())
    await run(db, lambda uow: stock_admin.create_stock(uow, plenty, 10))
    await run(db, lambda uow: stock_admin.create_stock(uow, scarce, 1))
    lines = [StockLine(product_id=plenty, quantity=2), StockLine(product_id=scarce, quantity=2)]
    await run(db, lambda uow: order_flow.allocate(uow, "o", "r", lines))
    assert await stock_of(db, plenty) == (10, 0, 10) and await stock_of(db, scarce) == (1, 0, 1)
    [failed] = await outbox(db, "StockAllocationFailed")
    assert failed["short"] == [{"product_id": scarce, "quantity": 2}]


async def test_admin_transactions_follow_elastic_paths_rules(db):
    product = str(uuid4())
    with pytest.raises(StockNotFound):
        await run(db, lambda uow: stock_admin.transact(uow, product, "increment", 1))
    await run(db, lambda uow: stock_admin.create_stock(uow, product, 3))
    await run(db, lambda uow: stock_admin.transact(uow, product, "increment", 2))
    await run(db, lambda uow: stock_admin.transact(uow, product, "allocate", 4))
    assert await stock_of(db, product) == (5, 4, 1)
    with pytest.raises(InsufficientStock):
        await run(db, lambda uow: stock_admin.transact(uow, product, "decrement", 2))
    with pytest.raises(InsufficientStock):
        await run(db, lambda uow: stock_admin.transact(uow, product, "deallocate", 5))
    with pytest.raises(InvalidQuantity):
        await run(db, lambda uow: stock_admin.transact(uow, product, "increment", 0))
    await run(db, lambda uow: stock_admin.transact(uow, product, "deallocate", 4))
    await run(db, lambda uow: stock_admin.transact(uow, product, "decrement", 5))
    assert await stock_of(db, product) == (0, 0, 0)
    levels = await outbox(db, "StockLevelChanged")
    assert [lvl["version"] for lvl in levels] == sorted(lvl["version"] for lvl in levels)
    assert levels[-1]["available"] == 0


async def test_unmanaged_products_are_never_blocked(db):
    from shared.contracts.events import ProductPublished

    product = str(uuid4())
    event = ProductPublished(product_id=product, sku="free", name="Free", manage_stock=False)
    await run(db, lambda uow: stock_admin.learn_product(uow, event))
    await run(db, lambda uow: order_flow.allocate(uow, "o", "r", line(product, 1000)))
    assert [e["order_id"] for e in await outbox(db, "StockAllocated")] == ["o"]
    assert await stock_of(db, product) == (0, 0, 0)


@pytest.mark.parametrize("policy_request", ["r-payment", "checkout"])
async def test_no_oversell_200_buyers_against_a_stock_of_50(db, policy_request):
    """Whatever the policy (the request id differs), allocations of one product serialise."""
    product = str(uuid4())
    await run(db, lambda uow: stock_admin.create_stock(uow, product, 50))

    async def buy(n: int) -> None:
        async def command(uow: UnitOfWork) -> None:
            await order_flow.allocate(uow, f"order-{n}", policy_request, line(product, 1))

        await db.run(command, attempts=500)

    await asyncio.gather(*(buy(n) for n in range(200)))
    assert len(await outbox(db, "StockAllocated")) == 50
    assert len(await outbox(db, "StockAllocationFailed")) == 150
    assert await stock_of(db, product) == (50, 50, 0)
    # at no version of the product's stream was more allocated than there was
    rows = await db.pool.fetch(
        "SELECT data FROM events WHERE stream_id = $1 AND event_type = 'StockMovement' ORDER BY version",
        f"stock-{product}",
    )
    assert rows and all(r["data"]["allocated_after"] <= r["data"]["total_after"] == 50 for r in rows)
    assert max(r["data"]["allocated_after"] for r in rows) == 50


async def test_unpaid_reservations_expire_and_paid_ones_stay(db):
    product = str(uuid4())
    await run(db, lambda uow: stock_admin.create_stock(uow, product, 5))
    await run(db, lambda uow: order_flow.allocate(uow, "unpaid", "checkout", line(product, 2)))
    await run(db, lambda uow: order_flow.allocate(uow, "paid", "checkout", line(product, 1)))
    await run(db, lambda uow: order_flow.mark_paid(uow, "paid"))
    assert await release_expired(db, timedelta(seconds=3600)) == 0
    assert await release_expired(db, timedelta(seconds=0)) == 1
    assert await stock_of(db, product) == (5, 1, 4)
    [released] = await outbox(db, "StockReleased")
    assert released["order_id"] == "unpaid" and released["reason"] == "reservation expired"
