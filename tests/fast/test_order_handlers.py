"""The order service's application handlers on the in-memory store (the fast tier): placing,
payment facts, cancelling, corrections and the `fulfilled` flag, shipments, 3PL confirmations and
anonymisation. What each one decides, writes and announces; the same handlers run on PostgreSQL
behind Kafka in tests/order and tests/e2e."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import partial

import pytest

from services.order.application.anonymising import mark_anonymised
from services.order.application.cancelling import CancelOrder, cancel_order
from services.order.application.correcting import UpdateOrder, update_order
from services.order.application.payments import PaymentFact, record_payment
from services.order.application.placing import place_order
from services.order.application.reading import get_order_soon, read_order
from services.order.application.shipment_confirmations import confirm_shipment
from services.order.application.shipping import record_shipment
from services.order.domain.corrections import DetailsCorrection
from services.order.domain.errors import (
    FulfilledOrderCannotBeCancelled,
    OrderCannotBeAnonymised,
    OrderCannotBeFulfilled,
    OrderNotFound,
)
from services.order.domain.order import Order
from shared.contracts.inbound import ShipmentConfirmed
from shared.eventstore.in_memory import InMemoryDatabase
from tests.fast.memory import published, published_data
from tests.order.builders import authorized, captured, checkout, refunded, shipped

AT = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
def database() -> InMemoryDatabase:
    return InMemoryDatabase(producer="order")


async def place(database: InMemoryDatabase, order_id: str = "o-1") -> None:
    await database.run(lambda uow: place_order(uow, checkout(order_id)))


async def pay(database: InMemoryDatabase, fact: PaymentFact) -> None:
    await database.run(lambda uow: record_payment(uow, fact, AT))


async def statuses(database: InMemoryDatabase, order_id: str = "o-1") -> tuple[str, str, str]:
    state = (await database.read(Order, order_id)).state
    return state.status, state.payment, state.shipping


async def test_a_checkout_places_one_order_however_often_it_is_seen(database: InMemoryDatabase) -> None:
    await place(database)
    await place(database)
    assert await statuses(database) == ("incomplete", "unpaid", "unfulfilled")
    assert published(database) == [("OrderCreated", "o-1")]
    assert (await database.read(Order, "o-1")).version == 1


async def test_a_capture_of_the_whole_total_completes_the_order_once(database: InMemoryDatabase) -> None:
    await place(database)
    await pay(database, authorized("o-1", "t1"))
    assert await statuses(database) == ("processing", "authorized", "unfulfilled")  # the seed's step 4
    await pay(database, captured("o-1", "t1"))
    await pay(database, captured("o-1", "t1"))  # the same fact again: nothing new
    assert await statuses(database) == ("complete", "paid", "unfulfilled")
    assert [topic for topic, _ in published(database)] == ["OrderCreated", "OrderCompleted"]


async def test_a_full_refund_shows_the_order_refunded(database: InMemoryDatabase) -> None:
    await place(database)
    await pay(database, captured("o-1", "t1"))
    await pay(database, refunded("o-1", "t1", 10_000, 10_000, full=True))
    assert (await statuses(database))[1] == "refunded"


async def test_a_payment_fact_before_its_order_is_not_found_and_writes_nothing(
    database: InMemoryDatabase,
) -> None:
    with pytest.raises(OrderNotFound):
        await pay(database, captured("o-9", "t1"))
    assert database.store.log == [] and published(database) == []


async def test_cancelling_is_announced_once_and_never_for_a_fulfilled_order(
    database: InMemoryDatabase,
) -> None:
    await place(database)
    await database.run(lambda uow: cancel_order(uow, CancelOrder("o-1", "requested_by_customer")))
    await database.run(lambda uow: cancel_order(uow, CancelOrder("o-1", "again")))
    assert await statuses(database) == ("cancelled", "unpaid", "unfulfilled")
    assert published_data(database, "OrderCancelled") == [
        {"order_id": "o-1", "reason": "requested_by_customer"}
    ]

    await place(database, "o-2")
    await pay(database, captured("o-2", "t2"))
    await database.run(lambda uow: record_shipment(uow, shipped("o-2"), AT))
    before = len(database.store.log)
    with pytest.raises(FulfilledOrderCannotBeCancelled):
        await database.run(lambda uow: cancel_order(uow, CancelOrder("o-2")))
    assert len(database.store.log) == before
    assert await statuses(database, "o-2") == ("complete", "paid", "fulfilled")


async def test_fulfilment_asked_with_a_correction_ships_to_the_corrected_address(
    database: InMemoryDatabase,
) -> None:
    await place(database)
    await pay(database, captured("o-1", "t1"))
    command = UpdateOrder("o-1", DetailsCorrection(shipping_address={"line_1": "2 Eagleton Rd"}), fulfil=True)
    await database.run(lambda uow: update_order(uow, command))
    [updated] = published_data(database, "OrderUpdated")
    [requested] = published_data(database, "OrderFulfilmentRequested")
    assert updated["shipping_address"]["line_1"] == requested["shipping_address"]["line_1"] == "2 Eagleton Rd"
    assert {line["product_id"] for line in requested["lines"]} <= {"p-shoe", "p-hat"}


async def test_an_unpaid_order_cannot_be_flagged_fulfilled_and_nothing_is_written(
    database: InMemoryDatabase,
) -> None:
    await place(database)
    command = UpdateOrder("o-1", DetailsCorrection(order_number="N-1"), fulfil=True)
    with pytest.raises(OrderCannotBeFulfilled):
        await database.run(lambda uow: update_order(uow, command))
    assert published(database) == [("OrderCreated", "o-1")]
    assert (await database.read(Order, "o-1")).version == 1  # not even the correction


async def test_a_3pl_confirmation_requests_fulfilment_with_its_carrier_only_for_a_paid_order(
    database: InMemoryDatabase,
) -> None:
    confirmation = ShipmentConfirmed(order_id="o-1", carrier="UPS", tracking_reference="1Z999")
    await place(database)
    with pytest.raises(OrderCannotBeFulfilled):
        await database.run(lambda uow: confirm_shipment(uow, confirmation))
    await pay(database, captured("o-1", "t1"))
    await database.run(lambda uow: confirm_shipment(uow, confirmation))
    [requested] = published_data(database, "OrderFulfilmentRequested")
    assert (requested["carrier"], requested["tracking_reference"]) == ("UPS", "1Z999")


async def test_orders_are_anonymised_all_or_none_and_only_once_ended(database: InMemoryDatabase) -> None:
    await place(database, "o-1")
    await place(database, "o-2")
    with pytest.raises(OrderCannotBeAnonymised):  # still open
        await database.run(lambda uow: mark_anonymised(uow, ["o-1"]))
    await database.run(lambda uow: cancel_order(uow, CancelOrder("o-1")))
    for refused in (["o-1", "o-missing"], ["o-1", "o-2"]):
        with pytest.raises(OrderNotFound if "o-missing" in refused else OrderCannotBeAnonymised):
            await database.run(partial(mark_anonymised, order_ids=refused))
        assert (await database.read(Order, "o-1")).version == 2  # placed, cancelled: not anonymised
    await database.run(lambda uow: mark_anonymised(uow, ["o-1", "o-1"]))
    await database.run(lambda uow: mark_anonymised(uow, ["o-1"]))  # again: nothing more
    assert (await database.read(Order, "o-1")).version == 3


async def test_a_read_waits_for_an_order_placed_meanwhile_and_not_for_one_never_placed(
    database: InMemoryDatabase,
) -> None:
    waiting = asyncio.create_task(get_order_soon(database, "o-1", timeout=5.0))
    await asyncio.sleep(0)
    await place(database)  # the consumer's commit wakes the read at once
    assert (await asyncio.wait_for(waiting, 1.0)).state.status == "incomplete"
    with pytest.raises(OrderNotFound):
        await get_order_soon(database, "o-never", timeout=0.01)
    with pytest.raises(OrderNotFound):
        await asyncio.wait_for(get_order_soon(database, "not/an order id", timeout=5.0), 0.5)  # no wait
    with pytest.raises(OrderNotFound):
        await read_order(database, "o-never")
