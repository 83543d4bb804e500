"""The fulfilment service's application handlers on the in-memory store (the fast tier): a shipment
begun by the order's fulfilment request or a correction before it, address corrections by the
order's version, one dispatch and one `OrderShipped` however often fulfilment is requested, in
whatever order the facts arrive, and streams an earlier version opened at the order's creation."""

from __future__ import annotations

import pytest

from services.fulfillment.application.shipping import correct_address, dispatch
from services.fulfillment.domain.shipment import Shipment
from shared.contracts.events import OrderFulfilmentRequested, OrderUpdated
from shared.contracts.values import Address
from shared.eventstore.in_memory import InMemoryDatabase
from tests.fast.memory import published, published_data
from tests.fulfillment.earlier_versions import opened_by_an_earlier_version
from tests.order.builders import ADDRESS, NOW


@pytest.fixture
def database() -> InMemoryDatabase:
    return InMemoryDatabase(producer="fulfillment")


def moved_to(line_1: str) -> Address:
    return ADDRESS.model_copy(update={"line_1": line_1})


async def corrected(database: InMemoryDatabase, line_1: str, order_version: int) -> None:
    update = OrderUpdated(order_id="o-1", shipping_address=moved_to(line_1), updated_at=NOW)
    await database.run(lambda uow: correct_address(uow, update, order_version))


async def requested(database: InMemoryDatabase, line_1: str = "1 Pawnee St") -> None:
    request = OrderFulfilmentRequested(order_id="o-1", shipping_address=moved_to(line_1), carrier="UPS")
    await database.run(lambda uow: dispatch(uow, request))


async def test_an_order_is_shipped_once_however_often_fulfilment_is_requested(
    database: InMemoryDatabase,
) -> None:
    await requested(database)
    await requested(database)
    shipment = await database.read(Shipment, "o-1")
    assert shipment.status == "fulfilled" and shipment.version == 1
    assert published(database) == [("OrderShipped", "o-1")]
    assert published_data(database, "OrderShipped")[0]["carrier"] == "UPS"


async def test_a_shipment_an_earlier_version_opened_at_the_order_s_creation_ships_once(
    database: InMemoryDatabase,
) -> None:
    await database.run(lambda uow: opened_by_an_earlier_version(uow, "o-1"))
    assert (await database.read(Shipment, "o-1")).status == "unfulfilled"
    await requested(database)
    await requested(database)
    shipment = await database.read(Shipment, "o-1")
    assert shipment.status == "fulfilled" and shipment.version == 2
    assert published(database) == [("OrderShipped", "o-1")]


async def test_the_newest_correction_wins_whatever_order_they_arrive_in(database: InMemoryDatabase) -> None:
    await corrected(database, "3 Newer St", order_version=3)
    await corrected(database, "2 Older St", order_version=2)  # late and stale: ignored
    shipment = await database.read(Shipment, "o-1")
    assert shipment.shipping_address is not None and shipment.shipping_address.line_1 == "3 Newer St"
    await requested(database, "3 Newer St")
    await corrected(database, "4 After Dispatch St", order_version=9)  # shipped: nothing changes
    shipment = await database.read(Shipment, "o-1")
    assert shipment.shipping_address is not None and shipment.shipping_address.line_1 == "3 Newer St"
