"""A customer's saved addresses (`/v2/customers/{id}/addresses`) as Elastic Path's Addresses API and
the SDK's `CustomerAddresses` have them: listed, created, read, changed and deleted with the
customer's own token (or an admin's), another customer's token refused at every step; EP's
required fields checked; and a saved address, sent as it came, accepted as a checkout's billing
and shipping address, the order carrying it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.cart.conftest import ADDRESS, create_product, new_cart
from tests.cart.registered_customers import SignedIn, registered
from tests.cart.served_openapi import validate_served
from tests.support.openapi import validate_schema

HOME = {**ADDRESS, "name": "Home", "company_name": "Parks Dept", "phone_number": "555 0100", "region": "IN"}
ADDRESSES = "/v2/customers/{customer_id}/addresses"
ONE = ADDRESSES + "/{address_id}"


def body(fields: dict[str, Any]) -> dict[str, Any]:
    """As `CustomerAddresses.Create/Update` send it: the body with `type` "address", in `data`."""
    return {"data": {**fields, "type": "address"}}


async def create(client: httpx.AsyncClient, owner: SignedIn, fields: dict[str, Any] = HOME) -> httpx.Response:
    return await client.post(f"/v2/customers/{owner.id}/addresses", json=body(fields), headers=owner.headers)


async def test_the_customer_creates_lists_reads_changes_and_deletes_an_address(shopper):
    ron = await registered(shopper, "Ron Swanson")
    created = await create(shopper, ron)
    assert created.status_code == 201, created.text
    await validate_served(shopper, ADDRESSES, "post", 201, created.json())
    address = created.json()["data"]
    assert address["type"] == "address" and address["id"]
    assert {k: address[k] for k in HOME} == HOME
    assert address["line_2"] == "" and address["instructions"] == ""
    assert address["links"]["self"].endswith(f"/v2/customers/{ron.id}/addresses/{address['id']}")
    one = f"/v2/customers/{ron.id}/addresses/{address['id']}"

    second = await create(shopper, ron, {**ADDRESS, "name": "Cabin", "line_1": "Cabin in the woods"})
    listed = await shopper.get(f"/v2/customers/{ron.id}/addresses", headers=ron.headers)
    assert listed.status_code == 200, listed.text
    await validate_served(shopper, ADDRESSES, "get", 200, listed.json())
    assert [a["id"] for a in listed.json()["data"]] == [address["id"], second.json()["data"]["id"]]
    assert listed.json()["meta"]["results"]["total"] == 2

    read = await shopper.get(one, headers=ron.headers)
    assert read.status_code == 200 and read.json()["data"] == address
    await validate_served(shopper, ONE, "get", 200, read.json())

    # the SDK's Update sends the id and the changed members; the others keep their values
    changed = await shopper.put(
        one, json=body({"id": address["id"], "line_1": "2 Moon Street"}), headers=ron.headers
    )
    assert changed.status_code == 200, changed.text
    await validate_served(shopper, ONE, "put", 200, changed.json())
    after = changed.json()["data"]
    assert after["line_1"] == "2 Moon Street"
    assert {k: after[k] for k in HOME if k != "line_1"} == {k: v for k, v in HOME.items() if k != "line_1"}
    assert after["meta"]["timestamps"]["updated_at"] > address["meta"]["timestamps"]["updated_at"]
    assert (await shopper.get(one, headers=ron.headers)).json()["data"]["line_1"] == "2 Moon Street"

    deleted = await shopper.delete(one, headers=ron.headers)
    assert deleted.status_code == 204, deleted.text
    gone = await shopper.get(one, headers=ron.headers)
    assert gone.status_code == 404 and gone.json()["errors"][0]["status"] == 404
    assert (await shopper.delete(one, headers=ron.headers)).status_code == 404
    remaining = await shopper.get(f"/v2/customers/{ron.id}/addresses", headers=ron.headers)
    assert [a["id"] for a in remaining.json()["data"]] == [second.json()["data"]["id"]]


async def test_another_customers_token_or_none_is_refused_at_every_step_and_an_admin_may(shopper, admin):
    ron, tammy = await registered(shopper, "Ron Swanson"), await registered(shopper, "Tammy Two")
    address = (await create(shopper, ron)).json()["data"]
    collection = f"/v2/customers/{ron.id}/addresses"
    one = f"{collection}/{address['id']}"
    for headers in (tammy.headers, {}):
        attempts = [
            await shopper.get(collection, headers=headers),
            await shopper.post(collection, json=body(HOME), headers=headers),
            await shopper.get(one, headers=headers),
            await shopper.put(one, json=body({"line_1": "Tammy's"}), headers=headers),
            await shopper.delete(one, headers=headers),
        ]
        assert [a.status_code for a in attempts] == [403] * 5, [a.text for a in attempts]
    # nothing changed, and Tammy's own list holds none of Ron's
    listed = await admin.get(collection)
    assert listed.status_code == 200
    assert [(a["id"], a["line_1"]) for a in listed.json()["data"]] == [(address["id"], HOME["line_1"])]
    assert (await shopper.get(f"/v2/customers/{tammy.id}/addresses", headers=tammy.headers)).json()[
        "data"
    ] == []
    by_admin = await admin.put(one, json=body({"instructions": "Leave at the door"}))
    assert by_admin.status_code == 200 and by_admin.json()["data"]["instructions"] == "Leave at the door"


async def test_eps_required_fields_are_checked_and_unknown_ids_are_404s(shopper, admin):
    ron = await registered(shopper, "Ron Swanson")
    for missing in ("first_name", "last_name", "line_1", "postcode", "county", "country"):
        fields = {k: v for k, v in HOME.items() if k != missing}
        refused = await create(shopper, ron, fields)
        assert refused.status_code == 400, (missing, refused.text)
        assert [(e["status"], e["source"]) for e in refused.json()["errors"]] == [(400, f"data.{missing}")]
    wrong_type = await shopper.post(
        f"/v2/customers/{ron.id}/addresses", json={"data": {**HOME, "type": "customer"}}, headers=ron.headers
    )
    assert wrong_type.status_code == 400 and wrong_type.json()["errors"][0]["source"] == "data.type"
    address = (await create(shopper, ron)).json()["data"]
    emptied = await shopper.put(
        f"/v2/customers/{ron.id}/addresses/{address['id']}", json=body({"postcode": ""}), headers=ron.headers
    )
    assert emptied.status_code == 400 and emptied.json()["errors"][0]["source"] == "data.postcode"
    assert (await admin.get(f"/v2/customers/{ron.id}/addresses")).json()["data"] == [address]
    assert (await admin.get(f"/v2/customers/{ron.id}/addresses/not-an-id")).status_code == 404
    unknown = "4b0c3a5e-3a55-4d0f-9b7e-2a1c7e9e0f11"
    assert (await admin.get(f"/v2/customers/{ron.id}/addresses/{unknown}")).status_code == 404
    assert (await admin.get(f"/v2/customers/{unknown}/addresses")).status_code == 404


async def test_a_saved_address_sent_as_it_came_is_the_checkouts_billing_and_shipping_address(shopper, admin):
    leslie = await registered(shopper, "Leslie Knope")
    saved = (await create(shopper, leslie)).json()["data"]
    # its fields are every one EP's checkout address schemas name
    fields = {k: v for k, v in saved.items() if k not in ("type", "id", "name", "meta", "links")}
    validate_schema("carts-orders.yaml", "BillingAddress", fields)
    validate_schema("carts-orders.yaml", "ShippingAddress", fields)

    product = await create_product(admin, amount=2500)
    ref = new_cart()
    added = await shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
    )
    assert added.status_code in (200, 201), added.text
    checkout = {"customer": {"id": leslie.id}, "billing_address": saved, "shipping_address": saved}
    order = await shopper.post(f"/v2/carts/{ref}/checkout", json={"data": checkout}, headers=leslie.headers)
    assert order.status_code == 201, order.text
    data = order.json()["data"]
    for side in ("billing_address", "shipping_address"):
        assert {k: data[side][k] for k in fields if k in data[side]} == {
            k: fields[k] for k in fields if k in data[side]
        }
        assert data[side]["line_1"] == HOME["line_1"] and data[side]["county"] == HOME["county"]
