"""Corrections of an order after checkout: the aggregate's rule (the address is final once fulfilment
is requested; references can always change; a correction that changes nothing records nothing), the
`OrderUpdated` queued with it in the outbox, and the order list showing the corrected order exactly
as a single read does, live and rebuilt, whether the correction lands in the checkout's batch or a
later one."""

from __future__ import annotations

import pytest

from services.order.adapters.http.documents import view_document
from services.order.application.correcting import UpdateOrder, update_order
from services.order.domain.corrections import DetailsCorrection
from services.order.domain.errors import ShippingAddressIsFinal
from services.order.domain.events import OrderDetailsCorrected
from services.order.domain.order import Order
from services.order.projections.listing import OrderQuery, list_orders
from services.order.projections.orders import OrdersProjection
from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer import EventConsumer
from shared.projections.rebuild import rebuild_projection
from shared.projections.runner import ProjectionRunner
from tests.order.builders import ADDRESS, NOW, captured, checkout, envelope, message
from tests.order.reads import published_data, view

MOVED = {"line_1": "2 Parks Dept", "city": "Pawnee", "instructions": "Leave with April"}


def placed(order_id: str = "o-1") -> Order:
    order = Order(order_id)
    order.place(checkout(order_id))
    order.take_pending()
    return order


def test_a_correction_replaces_the_fields_given_and_keeps_the_rest():
    order = placed()
    assert order.correct_details(DetailsCorrection(MOVED, order_number="INV-1", external_ref="crm-1"), NOW)
    [event] = order.take_pending()
    assert isinstance(event, OrderDetailsCorrected)
    assert event.shipping_address == ADDRESS.model_copy(update=MOVED)
    assert (event.order_number, event.external_ref) == ("INV-1", "crm-1")
    snapshot = order.snapshot()
    assert (snapshot.shipping_address, snapshot.order_number) == (event.shipping_address, "INV-1")
    assert snapshot.billing_address == ADDRESS  # only what Elastic Path lets change


def test_the_same_correction_again_records_nothing_and_an_empty_reference_clears_it():
    order = placed()
    order.correct_details(DetailsCorrection(MOVED, order_number="INV-1", external_ref="crm-1"), NOW)
    order.take_pending()
    assert not order.correct_details(DetailsCorrection(MOVED, order_number="INV-1"), NOW)
    assert order.take_pending() == []
    assert order.correct_details(DetailsCorrection(external_ref=""), NOW)
    [event] = order.take_pending()
    assert isinstance(event, OrderDetailsCorrected)
    assert (event.order_number, event.external_ref) == ("INV-1", None)


def test_once_fulfilment_is_requested_the_address_is_final_but_the_references_are_not():
    order = placed()
    order.record_capture("t1", "manual", captured("o-1", "t1").amount, NOW)
    assert order.request_fulfilment(NOW)
    order.take_pending()
    with pytest.raises(ShippingAddressIsFinal) as refused:
        order.correct_details(DetailsCorrection(MOVED), NOW)
    assert (refused.value.status, refused.value.title) == (422, "Order cannot be updated")
    assert order.take_pending() == []
    same_address = DetailsCorrection({"line_1": ADDRESS.line_1}, order_number="INV-2")
    assert order.correct_details(same_address, NOW)  # the address it ships to, unchanged
    assert order.snapshot().order_number == "INV-2"


async def test_a_correction_is_announced_as_order_updated_in_the_same_transaction(
    database: Database, consumer: EventConsumer
):
    await consumer.process(message(envelope(checkout("o-1"), producer="cart")))
    await database.run(
        lambda uow: update_order(uow, UpdateOrder("o-1", DetailsCorrection(MOVED, order_number="INV-1")))
    )
    await database.run(lambda uow: update_order(uow, UpdateOrder("o-1", DetailsCorrection(MOVED))))  # no-op
    [updated] = await published_data(database, "OrderUpdated")
    assert updated["order_id"] == "o-1" and updated["order_number"] == "INV-1"
    assert updated["shipping_address"] == ADDRESS.model_copy(update=MOVED).model_dump(mode="json")


@pytest.mark.parametrize("batch_size", [1, 100])
async def test_the_list_shows_a_corrected_order_as_a_single_read_does_live_and_rebuilt(
    database: Database, consumer: EventConsumer, projection: ProjectionRunner, batch_size: int
):
    """Batches of 1 meet the correction after the checkout's row exists; one batch of all places and
    corrects the order at once."""
    await consumer.process(message(envelope(checkout("o-1"), producer="cart")))
    await consumer.process(message(envelope(checkout("o-2"), producer="cart", minutes=2), offset=1))
    await projection.catch_up()
    correction = DetailsCorrection(MOVED, order_number="INV-1", external_ref="crm-1")
    await database.run(lambda uow: update_order(uow, UpdateOrder("o-1", correction)))
    await projection.catch_up()

    async def listed() -> dict[str, dict[str, object]]:
        page = await list_orders(database.pool, OrderQuery(filters=(("order_number", "INV-1"),)))
        return {v.snapshot.order_id: view_document(v) for v in page.orders}

    single = view_document(await view(database, "o-1"))
    assert single["order_number"] == "INV-1" and single["shipping_address"]["line_1"] == MOVED["line_1"]
    assert await listed() == {"o-1": single}
    await rebuild_projection(database.pool, OrdersProjection(), batch_size=batch_size)
    assert await listed() == {"o-1": single}
    by_ref = await list_orders(database.pool, OrderQuery(filters=(("external_ref", "crm-1"),)))
    assert [v.snapshot.order_id for v in by_ref.orders] == ["o-1"]
