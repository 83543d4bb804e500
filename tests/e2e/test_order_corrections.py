"""Orders can be corrected after checkout, as Elastic Path allows (`PUT /v2/orders/:id`): an admin
changes the shipping address, `order_number` and `external_ref`; reads show them; `OrderUpdated`
tells fulfilment, which ships to the corrected address; shoppers and bad bodies change nothing; the
address is final once the order is flagged `fulfilled`."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import asyncpg

from tests.e2e.conftest import service_fixture
from tests.e2e.test_shipping import FULFIL, pay_in_full, placed_order, wait_for_payment
from tests.support.kafka import envelopes_up_to_now, wait_for_envelope
from tests.support.openapi import validate_response, validate_schema
from tests.support.polling import poll_until
from tests.support.services import RunningService
from tests.support.settling import services_settled

# Its `shipments` read model is where an operator sees where a shipment goes: on here.
fulfillment_service = service_fixture("fulfillment", FULFILLMENT_SHIPMENTS_PROJECTION="1")

NEW_ADDRESS = {
    "first_name": "Leslie",
    "last_name": "Knope",
    "line_1": "2 Parks Dept",
    "city": "Pawnee",
    "postcode": "47999",
    "county": "Wamapoke",
    "region": "IN",
    "country": "US",
    "instructions": "Leave with April",
}


def correction(**fields: Any) -> dict[str, Any]:
    return {"data": {"type": "order", **fields}}


async def shipment(fulfillment: RunningService, order_id: str) -> asyncpg.Record | None:
    """The fulfilment service's `shipments` row of the order (None until it has one)."""
    conn = await asyncpg.connect(fulfillment.env["DATABASE_URL"])
    try:
        row: asyncpg.Record | None = await conn.fetchrow(
            "SELECT status, shipping_address::text AS address FROM proj_shipments.shipments"
            " WHERE order_id = $1",
            order_id,
        )
        return row
    finally:
        await conn.close()


def ships_to(row: asyncpg.Record | None) -> dict[str, Any] | None:
    """Where the row says the shipment goes."""
    return json.loads(row["address"]) if row is not None and row["address"] else None


async def updates_of(kafka: str, prefix: str, order_id: str) -> list[dict[str, Any]]:
    everything = await envelopes_up_to_now(kafka, f"{prefix}OrderUpdated")
    return [e.data for e in everything if e.data["order_id"] == order_id]


async def test_an_admin_corrects_the_address_order_number_and_external_ref_and_reads_show_them(
    cart_and_order_clients, kafka_bootstrap_servers, topic_prefix
):
    cart_admin, cart_shopper, order_admin, _ = cart_and_order_clients
    order = await placed_order(cart_admin, cart_shopper)
    number = f"INV-{uuid4().hex[:8]}"

    response = await order_admin.put(
        f"/v2/orders/{order['id']}",
        json=correction(shipping_address=NEW_ADDRESS, order_number=number, external_ref="crm-42"),
    )

    assert response.status_code == 200, response.text
    validate_response("carts-orders.yaml", "/v2/orders/{orderID}", "put", "200", response.json())
    answered = response.json()["data"]
    assert (answered["order_number"], answered["external_ref"]) == (number, "crm-42")
    assert answered["shipping_address"] == {**order["shipping_address"], **NEW_ADDRESS}
    assert answered["billing_address"] == order["billing_address"]  # only what EP lets change
    assert answered["meta"]["timestamps"]["updated_at"] > order["meta"]["timestamps"]["updated_at"]

    read = await order_admin.get(f"/v2/orders/{order['id']}")
    validate_response("carts-orders.yaml", "/v2/orders/{orderID}", "get", "200", read.json())
    assert read.json()["data"] == answered

    listed = await poll_until(
        lambda: order_admin.get("/v2/orders", params={"filter": f"eq(order_number,{number})"}),
        lambda r: r.status_code == 200 and len(r.json()["data"]) == 1,
    )
    assert listed.status_code == 200 and [o["id"] for o in listed.json()["data"]] == [order["id"]], (
        listed.text
    )
    validate_response("carts-orders.yaml", "/v2/orders", "get", "200", listed.json())
    assert listed.json()["data"][0] == answered

    # An empty value clears a reference; what is not given stays.
    cleared = await order_admin.put(f"/v2/orders/{order['id']}", json=correction(external_ref=""))
    assert cleared.status_code == 200, cleared.text
    assert "external_ref" not in cleared.json()["data"]
    assert cleared.json()["data"]["order_number"] == number
    assert cleared.json()["data"]["shipping_address"] == answered["shipping_address"]

    published = await wait_for_envelope(
        kafka_bootstrap_servers,
        f"{topic_prefix}OrderUpdated",
        lambda e: e.data["order_id"] == order["id"] and e.data["external_ref"] is None,
        timeout=60,
    )
    assert published.producer == "order" and published.aggregate_type == "order"
    assert published.data["order_number"] == number
    assert published.data["shipping_address"] == answered["shipping_address"]


async def test_shoppers_and_bad_bodies_change_nothing(
    cart_and_order_clients, order_service, kafka_bootstrap_servers, topic_prefix
):
    cart_admin, cart_shopper, order_admin, order_shopper = cart_and_order_clients
    order = await placed_order(cart_admin, cart_shopper)
    before = await wait_for_payment(order_admin, order["id"], "unpaid")  # consumed: it can be changed
    url = f"/v2/orders/{order['id']}"

    forbidden = await order_shopper.put(url, json=correction(shipping_address=NEW_ADDRESS, order_number="x"))
    assert forbidden.status_code == 403, forbidden.text
    validate_schema("carts-orders.yaml", "Response.Error", forbidden.json())
    assert forbidden.json()["errors"][0]["title"] == "Forbidden"

    bad = [
        (correction(external_ref="x" * 65), "data.external_ref", "maxLength"),
        (correction(order_number=1234), "data.order_number", "type"),
        (correction(shipping_address={"first_name": ""}), "data.shipping_address.first_name", "minLength"),
        (correction(shipping_address={"country": 1}), "data.shipping_address.country", "type"),
        (correction(shipping_address={}), "data.shipping_address", "Bad Request"),
        (correction(), "data", "Bad Request"),
        (correction(order_number="n", shipping="fulfilled", status="cancelled"), "data", "Bad Request"),
    ]
    for body, source, title in bad:
        response = await order_admin.put(url, json=body)
        assert response.status_code == 400, (body, response.text)
        validate_schema("carts-orders.yaml", "Response.Error", response.json())
        [error] = response.json()["errors"]
        assert (error["status"], error["source"], error["title"]) == (400, source, title), body

    unchanged = await order_admin.get(url)
    assert unchanged.status_code == 200
    assert unchanged.json()["data"] == before

    # The marker: a good correction after them all. Once it is published and everything settled,
    # it is the only `OrderUpdated` of the order: none of the refused ones wrote or published.
    good = await order_admin.put(url, json=correction(order_number="after-the-bad-ones"))
    assert good.status_code == 200, good.text
    await wait_for_envelope(
        kafka_bootstrap_servers,
        f"{topic_prefix}OrderUpdated",
        lambda e: e.data["order_id"] == order["id"],
        timeout=60,
    )
    await services_settled(kafka_bootstrap_servers, topic_prefix, [order_service])
    updates = await updates_of(kafka_bootstrap_servers, topic_prefix, order["id"])
    assert [u["order_number"] for u in updates] == ["after-the-bad-ones"]
    assert updates[0]["shipping_address"] == before["shipping_address"]


async def test_fulfilment_ships_to_the_corrected_address_which_is_final_once_fulfilled(
    cart_and_order_clients, order_service, fulfillment_service, kafka_bootstrap_servers, topic_prefix
):
    cart_admin, cart_shopper, order_admin, _ = cart_and_order_clients
    order = await placed_order(cart_admin, cart_shopper)
    url = f"/v2/orders/{order['id']}"
    corrected = await order_admin.put(url, json=correction(shipping_address=NEW_ADDRESS))
    assert corrected.status_code == 200, corrected.text
    address = corrected.json()["data"]["shipping_address"]
    assert address != order["shipping_address"]

    # Before it ships, fulfilment already knows where to: its read model shows the corrected address.
    waiting: asyncpg.Record | None = await poll_until(
        lambda: shipment(fulfillment_service, order["id"]), lambda row: ships_to(row) == address
    )
    assert ships_to(waiting) == address and waiting is not None and waiting["status"] == "unfulfilled"

    await pay_in_full(order, kafka_bootstrap_servers, topic_prefix)
    await wait_for_payment(order_admin, order["id"], "paid")
    flagged = await order_admin.put(url, json=FULFIL)
    assert flagged.status_code == 200, flagged.text

    requested = await wait_for_envelope(
        kafka_bootstrap_servers,
        f"{topic_prefix}OrderFulfilmentRequested",
        lambda e: e.data["order_id"] == order["id"],
        timeout=60,
    )
    assert requested.data["shipping_address"] == address
    shipped: asyncpg.Record | None = await poll_until(
        lambda: shipment(fulfillment_service, order["id"]),
        lambda row: row is not None and row["status"] == "fulfilled",
    )
    assert shipped is not None and shipped["status"] == "fulfilled" and ships_to(shipped) == address

    # Shipped: the address is final (EP: only while not fulfilled), the references are not.
    too_late = await order_admin.put(url, json=correction(shipping_address={"line_1": "3 Somewhere Else"}))
    assert too_late.status_code == 422, too_late.text
    validate_schema("carts-orders.yaml", "Response.Error", too_late.json())
    assert too_late.json()["errors"][0]["title"] == "Order cannot be updated"
    renumbered = await order_admin.put(url, json=correction(order_number="after-shipping"))
    assert renumbered.status_code == 200, renumbered.text
    assert renumbered.json()["data"]["shipping_address"] == address
    assert renumbered.json()["data"]["order_number"] == "after-shipping"

    await services_settled(kafka_bootstrap_servers, topic_prefix, [order_service, fulfillment_service])
    updates = await updates_of(kafka_bootstrap_servers, topic_prefix, order["id"])
    assert [u["order_number"] for u in updates] == [None, "after-shipping"]
    assert all(u["shipping_address"] == address for u in updates)
    assert ships_to(await shipment(fulfillment_service, order["id"])) == address
