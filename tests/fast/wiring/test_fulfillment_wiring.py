"""The fulfilment service's consumer as `build_fulfillment_consumer()` wires it, on FastStream's
test broker and the in-memory database: a new order is none of its business, a corrected address is
taken at the order's version, a fulfilment request ships it (after a correction too), and every topic
it reads dead-letters what it cannot trust or decode."""

from __future__ import annotations

import pytest

from services.fulfillment.adapters.consumers import build_fulfillment_consumer
from services.fulfillment.domain.shipment import Shipment
from shared.contracts.events import OrderCreated, OrderFulfilmentRequested, OrderUpdated
from shared.eventstore.in_memory import InMemoryDatabase
from tests.fast.memory import published, published_data
from tests.fast.wiring.subscribed import assert_dead_lettered_as_undecodable, subscribed
from tests.order.builders import ADDRESS, NOW

CONSUMED = ["OrderFulfilmentRequested", "OrderUpdated"]
MOVED = ADDRESS.model_copy(update={"line_1": "2 Eagleton Rd"})


@pytest.fixture
def database() -> InMemoryDatabase:
    return InMemoryDatabase(producer="fulfillment")


def test_a_new_order_is_not_fulfilment_s_business_until_it_is_to_be_shipped() -> None:
    consumed = build_fulfillment_consumer().topics
    assert sorted(consumed) == CONSUMED and OrderCreated.event_type not in consumed


async def test_a_corrected_address_is_taken_at_the_order_s_version(database: InMemoryDatabase) -> None:
    async with subscribed(build_fulfillment_consumer(), database) as kafka:
        correction = OrderUpdated(order_id="o-1", shipping_address=MOVED, updated_at=NOW)
        await kafka.publish(correction, key="o-1", version=3)
    shipment = await database.read(Shipment, "o-1")
    assert (shipment.shipping_address, shipment.address_version) == (MOVED, 3)
    assert shipment.status == "unfulfilled"


async def test_a_fulfilment_request_ships_the_order(database: InMemoryDatabase) -> None:
    async with subscribed(build_fulfillment_consumer(), database) as kafka:
        request = OrderFulfilmentRequested(order_id="o-1", shipping_address=ADDRESS, carrier="UPS")
        await kafka.publish(request, key="o-1")
    shipment = await database.read(Shipment, "o-1")
    assert (shipment.status, shipment.version) == ("fulfilled", 1)
    assert published(database) == [("OrderShipped", "o-1")]
    assert published_data(database, "OrderShipped")[0]["carrier"] == "UPS"


async def test_a_fulfilment_request_after_a_correction_ships_from_the_corrected_stream(
    database: InMemoryDatabase,
) -> None:
    async with subscribed(build_fulfillment_consumer(), database) as kafka:
        await kafka.publish(OrderUpdated(order_id="o-1", shipping_address=MOVED, updated_at=NOW), key="o-1")
        await kafka.publish(OrderFulfilmentRequested(order_id="o-1", shipping_address=MOVED), key="o-1")
        await kafka.publish(OrderFulfilmentRequested(order_id="o-1", shipping_address=MOVED), key="o-1")
    shipment = await database.read(Shipment, "o-1")
    assert (shipment.status, shipment.version, shipment.shipping_address) == ("fulfilled", 2, MOVED)
    assert published(database) == [("OrderShipped", "o-1")]


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
        request = OrderFulfilmentRequested(order_id="o-1", shipping_address=ADDRESS)
        await kafka.publish(request, key="o-1", producer="intruder")
    assert kafka.reasons() == [
        "refused: producer 'intruder' does not own topic OrderFulfilmentRequested: only 'order' publishes it"
    ]
    assert not (await database.read(Shipment, "o-1")).exists and published(database) == []
