"""The admin's `cancel` command on real Postgres: once, announced once, never for fulfilled orders."""

from __future__ import annotations

import pytest

from services.order.application.cancelling import CancelOrder, cancel_order
from services.order.domain.errors import FulfilledOrderCannotBeCancelled, OrderNotFound
from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer import EventConsumer
from tests.order.builders import captured, checkout, envelope, message, shipped
from tests.order.reads import published, published_data, statuses, stream_version


async def cancel(database: Database, order_id: str, reason: str = "") -> None:
    await database.run(lambda uow: cancel_order(uow, CancelOrder(order_id, reason)))


async def test_cancelling_is_announced_once_and_a_late_capture_does_not_complete_it(
    database: Database, consumer: EventConsumer
):
    await consumer.process(message(envelope(checkout("o-1"), producer="cart", minutes=0)))
    await cancel(database, "o-1", "requested_by_customer")
    await cancel(database, "o-1", "again")
    assert await statuses(database, "o-1") == ("cancelled", "unpaid", "unfulfilled")
    assert await published(database) == [("OrderCreated", "o-1"), ("OrderCancelled", "o-1")]
    [cancelled] = await published_data(database, "OrderCancelled")
    assert cancelled == {"order_id": "o-1", "reason": "requested_by_customer"}

    await consumer.process(message(envelope(captured("o-1", "t1"))))  # money moved anyway: shown, no refund
    assert await statuses(database, "o-1") == ("cancelled", "paid", "unfulfilled")
    assert [topic for topic, _ in await published(database)] == ["OrderCreated", "OrderCancelled"]


async def test_a_fulfilled_order_cannot_be_cancelled(database: Database, consumer: EventConsumer):
    for n, event in enumerate([checkout("o-1"), captured("o-1", "t1"), shipped("o-1")]):
        await consumer.process(message(envelope(event, minutes=n), offset=n))
    version = await stream_version(database, "o-1")
    with pytest.raises(FulfilledOrderCannotBeCancelled) as error:
        await cancel(database, "o-1")
    assert error.value.status == 422
    assert await stream_version(database, "o-1") == version
    assert await statuses(database, "o-1") == ("complete", "paid", "fulfilled")


async def test_cancelling_an_unknown_order_is_not_found(database: Database):
    with pytest.raises(OrderNotFound) as error:
        await cancel(database, "nope")
    assert error.value.status == 404
    assert await published(database) == []
