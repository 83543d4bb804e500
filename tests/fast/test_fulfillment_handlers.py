"""The fulfilment service's application handlers on the in-memory store (the fast tier): a
shipment opened per order, address corrections by the order's version, one dispatch and one
`OrderShipped` however often fulfilment is requested, and in whatever order the facts arrive."""

from __future__ import annotations

import pytest

from services.fulfillment.application.shipping import correct_address, dispatch, open_shipment
from services.fulfillment.domain.shipment import Shipment
from shared.contracts.events import OrderCreated, OrderFulfilmentRequested, OrderUpdated
from shared.contracts.values import Address
from shared.eventstore.in_memory import InMemoryDatabase
from tests.fast.memory import published, published_data
from tests.order.builders import ADDRESS, NOW, checkout


@pytest.fixture
def database() -> InMemoryDatabase:
    return InMemoryDatabase(producer="fulfillment")


def moved_to(line_1: str) -> Address:
    return ADDRESS.model_copy(update={"line_1": line_1})


async def created(database: InMemoryDatabase, order_id: str = "o-1") -> None:
    placed = checkout(order_id)
    order = OrderCreated.model_validate({**placed.model_dump(), "created_at": placed.checked_out_at})
    await database.run(lambda uow: open_shipment(uow, order))


async def corrected(database: InMemoryDatabase, line_1: str, order_version: int) -> None:
    update = OrderUpdated(order_id="o-1", shipping_address=moved_to(line_1), updated_at=NOW)
    await database.run(lambda uow: correct_address(uow, update, order_version))


async def requested(database: InMemoryDatabase, line_1: str = "1 Pawnee St") -> None:
    request = OrderFulfilmentRequested(order_id="o-1", shipping_address=moved_to(line_1), carrier="UPS")
    await database.run(lambda uow: dispatch(uow, request))


async def test_an_order_is_shipped_once_however_often_fulfilment_is_requested(
    database: InMemoryDatabase,
) -> None:
    await created(database)
    assert (await database.read(Shipment, "o-1")).status == "unfulfilled"
    await requested(database)
    await requested(database)
    shipment = await database.read(Shipment, "o-1")
    assert shipment.status == "fulfilled" and shipment.version == 2
    assert published(database) == [("OrderShipped", "o-1")]
    assert published_data(database, "OrderShipped")[0]["carrier"] == "UPS"


async def test_a_request_before_the_order_s_creation_still_ships_and_the_late_creation_changes_nothing(
    database: InMemoryDatabase,
) -> None:
    await requested(database)
    await created(database)
    shipment = await database.read(Shipment, "o-1")
    assert shipment.status == "fulfilled" and shipment.version == 1


async def test_the_newest_correction_wins_whatever_order_they_arrive_in(database: InMemoryDatabase) -> None:
    await created(database)
    await corrected(database, "3 Newer St", order_version=3)
    await corrected(database, "2 Older St", order_version=2)  # late and stale: ignored
    shipment = await database.read(Shipment, "o-1")
    assert shipment.shipping_address is not None and shipment.shipping_address.line_1 == "3 Newer St"
    await requested(database, "3 Newer St")
    await corrected(database, "4 After Dispatch St", order_version=9)  # shipped: nothing changes
    shipment = await database.read(Shipment, "o-1")
    assert shipment.shipping_address is not None and shipment.shipping_address.line_1 == "3 Newer St"
