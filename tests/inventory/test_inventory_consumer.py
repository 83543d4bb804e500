"""The `inventory` consumer on real Postgres: real envelopes through `EventConsumer.process`, as
Kafka hands them over. Redeliveries and repeats change nothing, facts arriving out of order leave
nothing allocated that should not be, and nothing is parked or dead-lettered."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

from services.inventory.application import stock_admin
from services.inventory.domain.policy import AllocationPolicy
from services.inventory.domain.stock import Stock
from shared.contracts.events import (
    CartCheckedOut,
    OrderCancelled,
    OrderShipped,
    PaymentCaptured,
    PaymentFailed,
    StockAllocationRequested,
)
from shared.contracts.values import Money
from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer import EventConsumer
from tests.inventory.builders import checkout, envelope, line, message
from tests.inventory.conftest import outbox
from tests.support.databases import RecordedDeadLetters

ConsumerFor = Callable[[AllocationPolicy], EventConsumer]
PAYMENT, RESERVE = AllocationPolicy.ALLOCATE_ON_PAYMENT, AllocationPolicy.RESERVE_ON_CHECKOUT
USD = Money(amount=100, currency="USD")
Fact = (
    CartCheckedOut
    | StockAllocationRequested
    | OrderCancelled
    | PaymentFailed
    | PaymentCaptured
    | OrderShipped
)


async def stocked(database: Database, quantity: int) -> str:
    product = str(uuid4())
    await database.run(lambda uow: stock_admin.create_stock(uow, product, quantity))
    return product


async def levels(database: Database, product: str) -> tuple[int, int, int]:
    async with database.unit_of_work() as uow:
        stock = await uow.load(Stock, product)
    return stock.total, stock.allocated, stock.available


async def deliver(consumer: EventConsumer, *events: Fact) -> None:
    """Each event as its producer would publish it, keyed by the order id."""
    for event in events:
        await consumer.process(message(envelope(event, event.order_id)))


def requested(order_id: str, request_id: str, product: str, quantity: int) -> StockAllocationRequested:
    return StockAllocationRequested(order_id=order_id, request_id=request_id, lines=[line(product, quantity)])


def failed(order_id: str, transaction_id: str) -> PaymentFailed:
    return PaymentFailed(
        order_id=order_id, transaction_id=transaction_id, gateway="manual", amount=USD, reason="declined"
    )


def test_the_checkout_is_consumed_only_under_the_reserve_policy(consumer_for: ConsumerFor):
    assert "CartCheckedOut" not in consumer_for(PAYMENT).topics
    assert "CartCheckedOut" in consumer_for(RESERVE).topics
    assert {"StockAllocationRequested", "OrderCancelled", "PaymentFailed", "OrderShipped"} <= set(
        consumer_for(PAYMENT).topics
    )


async def test_redeliveries_and_repeated_requests_allocate_once(
    database: Database, consumer_for: ConsumerFor
):
    consumer = consumer_for(PAYMENT)
    product = await stocked(database, 5)
    original = envelope(requested("o1", "pay-1", product, 2), "o1")
    await consumer.process(message(original))
    await consumer.process(message(original))  # Kafka redelivers the record
    await deliver(consumer, requested("o1", "pay-1", product, 2))  # payment asks again, a new message

    assert (consumer.applied, consumer.duplicates) == (2, 1)
    assert await levels(database, product) == (5, 2, 3)
    answers = await outbox(database, "StockAllocated")
    assert [(a["request_id"], a["lines"]) for a in answers] == [
        ("pay-1", [{"product_id": product, "quantity": 2}])
    ] * 2


async def test_a_cancellation_before_the_request_leaves_nothing_allocated(
    database: Database, consumer_for: ConsumerFor, dead_letters: RecordedDeadLetters
):
    consumer = consumer_for(PAYMENT)
    product = await stocked(database, 5)
    await deliver(consumer, OrderCancelled(order_id="o1"), requested("o1", "pay-1", product, 1))
    assert await levels(database, product) == (5, 0, 5)
    [refused] = await outbox(database, "StockAllocationFailed")
    assert (refused["request_id"], refused["reason"]) == ("pay-1", "order cancelled")
    assert consumer.parked == 0 and dead_letters.messages == []


async def test_a_failed_payment_releases_its_allocation_and_a_retry_allocates_again(
    database: Database, consumer_for: ConsumerFor
):
    consumer = consumer_for(PAYMENT)
    product = await stocked(database, 5)
    await deliver(consumer, requested("o1", "pay-1", product, 2), failed("o1", "pay-1"))
    assert await levels(database, product) == (5, 0, 5)
    await deliver(consumer, requested("o1", "pay-2", product, 2), failed("o1", "pay-1"))  # a late repeat
    assert await levels(database, product) == (5, 2, 3)
    await deliver(
        consumer,
        PaymentCaptured(order_id="o1", transaction_id="pay-2", gateway="manual", amount=USD),
        OrderShipped(order_id="o1"),
        OrderShipped(order_id="o1"),
    )
    assert await levels(database, product) == (3, 0, 3)
    assert [r["reason"] for r in await outbox(database, "StockReleased")] == ["payment failed"]
    assert len(await outbox(database, "StockDecremented")) == 1


async def test_under_the_reserve_policy_the_checkout_holds_stock_and_the_payment_is_answered_at_once(
    database: Database, consumer_for: ConsumerFor
):
    consumer = consumer_for(RESERVE)
    product = await stocked(database, 4)
    await deliver(consumer, checkout("o1", (product, 3), (None, 1)))
    assert await levels(database, product) == (4, 3, 1)
    await deliver(consumer, checkout("o2", (product, 2)))
    assert await levels(database, product) == (4, 3, 1)  # o2 could not be reserved whole

    await deliver(consumer, requested("o1", "pay-1", product, 3))
    assert await levels(database, product) == (4, 3, 1)  # answered from the reservation
    assert [(a["order_id"], a["request_id"]) for a in await outbox(database, "StockAllocated")] == [
        ("o1", "checkout"),
        ("o1", "pay-1"),
    ]
    [refused] = await outbox(database, "StockAllocationFailed")
    assert (refused["order_id"], refused["request_id"], refused["short"]) == (
        "o2",
        "checkout",
        [{"product_id": product, "quantity": 2}],
    )
    await deliver(consumer, OrderCancelled(order_id="o1"))
    assert await levels(database, product) == (4, 0, 4)
