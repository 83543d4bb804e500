"""The inventory service's consumer as `build_inventory_consumer(policy, ttl)` wires it, on
FastStream's test broker and the in-memory database: a payment's request is allocated all or none
and answered, stock follows the order's payment, cancellation and shipment, the warehouse and the
catalogue are heard, a checkout holds stock only under the reserve policy, and every topic it
reads dead-letters what it cannot trust or decode."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.inventory.adapters.consumers import build_inventory_consumer
from services.inventory.domain.policy import AllocationPolicy
from services.inventory.domain.stock import Stock
from shared.contracts.events import (
    OrderCancelled,
    OrderShipped,
    ProductPublished,
    StockAllocationRequested,
)
from shared.contracts.inbound import WarehouseStockAdjusted
from shared.eventstore.in_memory import InMemoryDatabase
from tests.fast.inventory_builders import levels, stocked_database
from tests.fast.memory import published, published_data
from tests.fast.wiring.subscribed import assert_dead_lettered_as_undecodable, subscribed
from tests.inventory.builders import checkout, line
from tests.order.builders import captured, failed

TTL = timedelta(minutes=15)
ON_PAYMENT = AllocationPolicy.ALLOCATE_ON_PAYMENT
ON_CHECKOUT = AllocationPolicy.RESERVE_ON_CHECKOUT
CONSUMED_ALWAYS = [
    "OrderCancelled",
    "OrderShipped",
    "PaymentAuthorized",
    "PaymentCaptured",
    "PaymentFailed",
    "ProductPublished",
    "StockAllocationRequested",
    "WarehouseStockAdjusted",
]


@pytest.fixture
async def database() -> InMemoryDatabase:
    """Five shoes and one hat."""
    return await stocked_database()


async def level(database: InMemoryDatabase, product: str) -> tuple[int, int]:
    [total_and_allocated] = await levels(database, product)
    return total_and_allocated


def request(order_id: str, *lines: tuple[str, int]) -> StockAllocationRequested:
    wanted = [line(product, quantity) for product, quantity in lines]
    return StockAllocationRequested(order_id=order_id, request_id=f"t-{order_id}", lines=wanted)


def replies(database: InMemoryDatabase) -> list[str]:
    return [topic for topic, _ in published(database) if topic.startswith("StockAllocat")]


async def test_a_payment_s_request_is_allocated_and_answered(database: InMemoryDatabase) -> None:
    async with subscribed(build_inventory_consumer(ON_PAYMENT, TTL), database) as kafka:
        await kafka.publish(request("o-1", ("shoe", 2)), key="o-1")
    assert await level(database, "shoe") == (5, 2)
    assert replies(database) == ["StockAllocated"]
    assert published_data(database, "StockAllocated")[0]["request_id"] == "t-o-1"


async def test_a_request_for_more_than_there_is_is_refused_and_moves_nothing(
    database: InMemoryDatabase,
) -> None:
    async with subscribed(build_inventory_consumer(ON_PAYMENT, TTL), database) as kafka:
        await kafka.publish(request("o-1", ("shoe", 2), ("hat", 2)), key="o-1")
    assert [await level(database, "shoe"), await level(database, "hat")] == [(5, 0), (1, 0)]
    assert replies(database) == ["StockAllocationFailed"]
    short = published_data(database, "StockAllocationFailed")[0]["short"]
    assert [wanted["product_id"] for wanted in short] == ["hat"]


async def test_a_paid_order_s_stock_leaves_when_it_ships(database: InMemoryDatabase) -> None:
    async with subscribed(build_inventory_consumer(ON_PAYMENT, TTL), database) as kafka:
        await kafka.publish(request("o-1", ("shoe", 2)), key="o-1")
        await kafka.publish(captured("o-1", "t-o-1"), key="o-1")
        await kafka.publish(OrderShipped(order_id="o-1"), key="o-1")
    assert await level(database, "shoe") == (3, 0)
    assert [data["order_id"] for data in published_data(database, "StockDecremented")] == ["o-1"]


async def test_a_failed_payment_or_a_cancelled_order_releases_its_stock(database: InMemoryDatabase) -> None:
    async with subscribed(build_inventory_consumer(ON_PAYMENT, TTL), database) as kafka:
        await kafka.publish(request("o-1", ("shoe", 2)), key="o-1")
        await kafka.publish(request("o-2", ("shoe", 3)), key="o-2")
        await kafka.publish(failed("o-1", "t-o-1"), key="o-1")
        await kafka.publish(OrderCancelled(order_id="o-2"), key="o-2")
    assert await level(database, "shoe") == (5, 0)
    assert [topic for topic, _ in published(database)].count("StockReleased") == 2


async def test_the_warehouse_and_the_catalogue_are_heard(database: InMemoryDatabase) -> None:
    async with subscribed(build_inventory_consumer(ON_PAYMENT, TTL), database) as kafka:
        adjusted = WarehouseStockAdjusted(product_id="shoe", kind="received", quantity=4)
        await kafka.publish(adjusted, key="shoe")
        product = ProductPublished(product_id="hat", sku="hat", name="Hat", manage_stock=False)
        await kafka.publish(product, key="hat")
    assert await level(database, "shoe") == (9, 0)
    assert (await database.read(Stock, "hat")).managed is False


@pytest.mark.parametrize(("policy", "held"), [(ON_PAYMENT, (5, 0)), (ON_CHECKOUT, (5, 4))])
async def test_a_checkout_holds_stock_only_under_the_reserve_policy(
    database: InMemoryDatabase, policy: AllocationPolicy, held: tuple[int, int]
) -> None:
    async with subscribed(build_inventory_consumer(policy, TTL), database) as kafka:
        await kafka.publish(checkout("o-1", ("shoe", 4)), key="o-1")
    assert await level(database, "shoe") == held


@pytest.mark.parametrize(
    ("policy", "event_type"),
    [(ON_PAYMENT, event_type) for event_type in CONSUMED_ALWAYS]
    + [(ON_CHECKOUT, event_type) for event_type in [*CONSUMED_ALWAYS, "CartCheckedOut"]],
)
async def test_an_undecodable_message_on_each_topic_it_reads_is_dead_lettered(
    database: InMemoryDatabase, policy: AllocationPolicy, event_type: str
) -> None:
    await assert_dead_lettered_as_undecodable(
        build_inventory_consumer(policy, TTL), database, event_type, b"[]"
    )


async def test_a_request_not_from_the_payment_service_is_refused(database: InMemoryDatabase) -> None:
    async with subscribed(build_inventory_consumer(ON_PAYMENT, TTL), database) as kafka:
        await kafka.publish(request("o-1", ("shoe", 2)), key="o-1", producer="cart")
    assert kafka.reasons() == [
        "refused: producer 'cart' does not own topic StockAllocationRequested: only 'payment' publishes it"
    ]
    assert await level(database, "shoe") == (5, 0) and replies(database) == []
