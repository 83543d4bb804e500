"""The fulfilment service's consumer as `build_fulfillment_consumer()` wires it, on FastStream's
test broker and the in-memory database: a new order opens its shipment, a corrected address is
taken at the order's version, a fulfilment request ships it, and every topic it reads dead-letters
what it cannot trust or decode."""

from __future__ import annotations

import pytest

from services.fulfillment.adapters.consumers import build_fulfillment_consumer
from services.fulfillment.domain.shipment import Shipment
from shared.contracts.events import OrderCreated, OrderFulfilmentRequested, OrderUpdated
from shared.eventstore.in_memory import InMemoryDatabase
from tests.fast.memory import published, published_data
from tests.fast.wiring.subscribed import assert_dead_lettered_as_undecodable, subscribed
from tests.order.builders import ADDRESS, NOW, checkout

CONSUMED = ["OrderCreated", "OrderFulfilmentRequested", "OrderUpdated"]
MOVED = ADDRESS.model_copy(update={"line_1": "2 Eagleton Rd"})


@pytest.fixture
def database() -> InMemoryDatabase:
    return InMemoryDatabase(producer="fulfillment")


def order_created(order_id: str) -> OrderCreated:
    placed = checkout(order_id)
    return OrderCreated.model_validate({**placed.model_dump(), "created_at": placed.checked_out_at})


async def test_a_new_order_opens_its_shipment(database: InMemoryDatabase) -> None:
    async with subscribed(build_fulfillment_consumer(), database) as kafka:
        await kafka.publish(order_created("o-1"), key="o-1")
    shipment = await database.read(Shipment, "o-1")
    assert shipment.exists and shipment.status == "unfulfilled"
    assert kafka.dead_letters.messages == []


async def test_a_corrected_address_is_taken_at_the_order_s_version(database: InMemoryDatabase) -> None:
    async with subscribed(build_fulfillment_consumer(), database) as kafka:
        await kafka.publish(order_created("o-1"), key="o-1")
        correction = OrderUpdated(order_id="o-1", shipping_address=MOVED, updated_at=NOW)
        await kafka.publish(correction, key="o-1", version=3)
    shipment = await database.read(Shipment, "o-1")
    assert (shipment.shipping_address, shipment.address_version) == (MOVED, 3)


async def test_a_fulfilment_request_ships_the_order(database: InMemoryDatabase) -> None:
    async with subscribed(build_fulfillment_consumer(), database) as kafka:
        await kafka.publish(order_created("o-1"), key="o-1")
        request = OrderFulfilmentRequested(order_id="o-1", shipping_address=ADDRESS, carrier="UPS")
        await kafka.publish(request, key="o-1")
    assert (await database.read(Shipment, "o-1")).status == "fulfilled"
    assert published(database) == [("OrderShipped", "o-1")]
    assert published_data(database, "OrderShipped")[0]["carrier"] == "UPS"


@pytest.mark.parametrize("event_type", CONSUMED)
async def test_an_undecodable_message_on_each_topic_it_reads_is_dead_lettered(
    database: InMemoryDatabase, event_type: str
) -> None:
    await assert_dead_lettered_as_undecodable(
        build_fulfillment_consumer(), database, event_type, b"{ not json"
    )


async def test_a_fulfilment_request_not_from_the_order_service_ships_nothing(
    database: InMemoryDatabase,
) -> None:
    async with subscribed(build_fulfillment_consumer(), database) as kafka:
        await kafka.publish(order_created("o-1"), key="o-1")
        request = OrderFulfilmentRequested(order_id="o-1", shipping_address=ADDRESS)
        await kafka.publish(request, key="o-1", producer="intruder")
    assert kafka.reasons() == [
        "refused: producer 'intruder' does not own topic OrderFulfilmentRequested: only 'order' publishes it"
    ]
    assert (await database.read(Shipment, "o-1")).status == "unfulfilled" and published(database) == []
