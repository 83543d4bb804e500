"""Customer cart associations (carts-orders.yaml, Customer Cart Associations): EP's array body and
its errors, a customer's cart usable only with their token (or an admin's), `GET /v2/carts` listing
the token's customer's carts, and the checkout of such a cart making the order theirs."""

from __future__ import annotations

from typing import Any

import httpx

from tests.cart.conftest import ADDRESS, create_product, new_cart
from tests.cart.registered_customers import SignedIn, customers, registered
from tests.support.openapi import validate_response
from tests.support.polling import poll_until

CARTS = "carts-orders.yaml"
NO_PERMISSION = "Customer does not have the required permissions to fulfill this request"


def relationship(ref: str) -> str:
    return f"/v2/carts/{ref}/relationships/customers"


def only_error(response: httpx.Response) -> dict[str, Any]:
    [error] = response.json()["errors"]
    assert set(error) >= {"status", "title", "detail"}
    return dict(error)


async def add_one(client: httpx.AsyncClient, ref: str, product_id: str, **kwargs: Any) -> httpx.Response:
    return await client.post(
        f"/v2/carts/{ref}/items",
        json={"data": {"type": "cart_item", "id": product_id, "quantity": 1}},
        **kwargs,
    )


async def test_the_body_must_be_the_array_of_one_customer_of_the_token(shopper):
    ann, ben = await registered(shopper, "Ann Perkins"), await registered(shopper, "Ben Wyatt")
    ref = new_cart()
    as_object = await shopper.post(
        relationship(ref), json={"data": {"type": "customer", "id": ann.id}}, headers=ann.headers
    )
    assert as_object.status_code == 403 and only_error(as_object)["detail"] == "Invalid json payload"
    wrong_type = await shopper.post(
        relationship(ref), json={"data": [{"type": "account", "id": ann.id}]}, headers=ann.headers
    )
    assert wrong_type.status_code == 400
    assert only_error(wrong_type)["detail"] == "The type does not exist or is not listed as customer"
    two = await shopper.post(relationship(ref), json=customers(ann.id, ben.id), headers=ann.headers)
    assert two.status_code == 403 and only_error(two)["detail"] == "Cannot associate more than one customer"
    no_token = await shopper.post(relationship(ref), json=customers(ann.id))
    assert no_token.status_code == 403 and only_error(no_token)["detail"] == NO_PERMISSION
    someone_else = await shopper.post(relationship(ref), json=customers(ben.id), headers=ann.headers)
    assert someone_else.status_code == 403 and only_error(someone_else)["detail"] == NO_PERMISSION

    # None of those refusals bound the cart: anyone may still read it, and Ann may take it.
    assert (await shopper.get(f"/v2/carts/{ref}")).json()["data"]["relationships"]["customers"] == {}
    taken = await shopper.post(relationship(ref), json=customers(ann.id), headers=ann.headers)
    assert taken.status_code == 200, taken.text
    assert taken.json() == {"data": [{"type": "customer", "id": ann.id}]}
    validate_response(CARTS, "/v2/carts/{cartID}/relationships/customers", "post", "200", taken.json())
    again = await shopper.post(relationship(ref), json=customers(ann.id), headers=ann.headers)
    assert again.status_code == 200  # associating a cart with its own customer again changes nothing


async def test_a_customers_cart_is_read_and_changed_only_with_their_token_or_an_admins(shopper, admin):
    ann, ben = await registered(shopper, "Ann Perkins"), await registered(shopper, "Ben Wyatt")
    product = await create_product(admin)
    ref = new_cart()
    assert (await add_one(shopper, ref, product["id"])).status_code == 201  # a guest cart first
    assert (
        await shopper.post(relationship(ref), json=customers(ann.id), headers=ann.headers)
    ).status_code == 200

    theirs = await shopper.get(f"/v2/carts/{ref}", headers=ann.headers)
    assert theirs.status_code == 200
    assert theirs.json()["data"]["relationships"]["customers"] == {"data": {"type": "customer", "id": ann.id}}
    validate_response(CARTS, "/v2/carts/{cartID}", "get", "200", theirs.json())
    assert (await admin.get(f"/v2/carts/{ref}")).status_code == 200

    item_id = theirs.json()["data"]["relationships"]["items"]["data"][0]["id"]
    for headers in ({}, ben.headers):  # a guest's storefront, and another customer's
        attempts = {
            "read": await shopper.get(f"/v2/carts/{ref}", headers=headers),
            "items": await shopper.get(f"/v2/carts/{ref}/items", headers=headers),
            "rename": await shopper.put(f"/v2/carts/{ref}", json={"data": {"name": "Mine"}}, headers=headers),
            "add": await add_one(shopper, ref, product["id"], headers=headers),
            "quantity": await shopper.put(
                f"/v2/carts/{ref}/items/{item_id}", json={"data": {"quantity": 5}}, headers=headers
            ),
            "remove": await shopper.delete(f"/v2/carts/{ref}/items/{item_id}", headers=headers),
            "empty": await shopper.delete(f"/v2/carts/{ref}/items", headers=headers),
            "delete": await shopper.delete(f"/v2/carts/{ref}", headers=headers),
            "checkout": await shopper.post(
                f"/v2/carts/{ref}/checkout",
                json={
                    "data": {
                        "customer": {"name": "Ben", "email": "ben@example.com"},
                        "billing_address": ADDRESS,
                    }
                },
                headers=headers,
            ),
            "take it": await shopper.post(relationship(ref), json=customers(ben.id), headers=ben.headers),
            "free it": await shopper.request(
                "DELETE", relationship(ref), json=customers(ann.id), headers=headers
            ),
        }
        refused = {what: (r.status_code, only_error(r)["detail"]) for what, r in attempts.items()}
        assert refused == {what: (403, NO_PERMISSION) for what in attempts}, refused

    after = (await shopper.get(f"/v2/carts/{ref}?include=items", headers=ann.headers)).json()
    assert after["data"]["name"] == "Cart" and [i["quantity"] for i in after["included"]["items"]] == [1]
    assert after["data"]["relationships"]["customers"]["data"]["id"] == ann.id

    # An admin may act for anyone, but a cart still takes only one customer.
    second = await admin.post(relationship(ref), json=customers(ben.id))
    assert (
        second.status_code == 403
        and only_error(second)["detail"] == "Cannot associate more than one customer"
    )
    freed = await shopper.request("DELETE", relationship(ref), json=customers(ann.id), headers=ann.headers)
    assert freed.status_code == 204
    guest_again = await shopper.get(f"/v2/carts/{ref}")
    assert guest_again.status_code == 200 and guest_again.json()["data"]["relationships"]["customers"] == {}


async def carts_of(shopper: httpx.AsyncClient, customer: SignedIn, query: str = "") -> dict[str, Any]:
    response = await shopper.get(f"/v2/carts{query}", headers=customer.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_get_carts_lists_the_token_customers_carts_newest_change_first_paginated(shopper, admin):
    ann, ben = await registered(shopper, "Ann Perkins"), await registered(shopper, "Ben Wyatt")
    product = await create_product(admin)
    older, newer, bens = new_cart(), new_cart(), new_cart()
    for ref, who in ((older, ann), (newer, ann), (bens, ben)):
        await shopper.post("/v2/carts", json={"data": {"name": f"cart {ref[:4]}", "id": ref}})
        associated = await shopper.post(relationship(ref), json=customers(who.id), headers=who.headers)
        assert associated.status_code == 200, associated.text

    listed = await poll_until(lambda: carts_of(shopper, ann), lambda body: len(body["data"]) == 2)
    assert [cart["id"] for cart in listed["data"]] == [newer, older]
    validate_response(CARTS, "/v2/carts", "get", "200", listed)
    assert listed["meta"]["results"]["total"] == 2

    assert (await add_one(shopper, older, product["id"], headers=ann.headers)).status_code == 201
    reordered = await carts_of(shopper, ann)
    assert [cart["id"] for cart in reordered["data"]] == [older, newer]  # its latest change is newest
    assert (
        reordered["data"][0]["meta"]["display_price"]["with_tax"]["amount"] == product["price"][0]["amount"]
    )

    first_page = await carts_of(shopper, ann, "?page[limit]=1")
    assert [cart["id"] for cart in first_page["data"]] == [older]
    assert first_page["meta"]["page"] == {"limit": 1, "offset": 0, "current": 1, "total": 2}
    assert "page[offset]=1" in first_page["links"]["next"]
    second_page = await carts_of(shopper, ann, "?page[limit]=1&page[offset]=1")
    assert [cart["id"] for cart in second_page["data"]] == [newer]

    bens_list = await poll_until(lambda: carts_of(shopper, ben), lambda body: len(body["data"]) == 1)
    assert [cart["id"] for cart in bens_list["data"]] == [bens]
    no_token = await shopper.get("/v2/carts")
    assert no_token.status_code == 401

    freed = await shopper.request("DELETE", relationship(newer), json=customers(ann.id), headers=ann.headers)
    assert freed.status_code == 204
    after = await carts_of(shopper, ann)  # at once: each listed cart is read from its stream
    assert [cart["id"] for cart in after["data"]] == [older] and after["meta"]["results"]["total"] == 1


async def test_checking_out_a_customers_cart_makes_the_order_theirs(shopper, admin):
    ann, ben = await registered(shopper, "Ann Perkins"), await registered(shopper, "Ben Wyatt")
    product = await create_product(admin)
    ref = new_cart()
    await add_one(shopper, ref, product["id"])
    assert (
        await shopper.post(relationship(ref), json=customers(ann.id), headers=ann.headers)
    ).status_code == 200

    as_ben = {"data": {"customer": {"id": ben.id}, "billing_address": ADDRESS}}
    refused = await shopper.post(f"/v2/carts/{ref}/checkout", json=as_ben, headers=ben.headers)
    assert refused.status_code == 403 and only_error(refused)["detail"] == NO_PERMISSION

    as_guest = {
        "data": {"customer": {"name": "Someone", "email": "someone@example.com"}, "billing_address": ADDRESS}
    }
    response = await shopper.post(f"/v2/carts/{ref}/checkout", json=as_guest, headers=ann.headers)
    assert response.status_code == 201, response.text
    order = response.json()["data"]
    assert order["relationships"]["customer"]["data"]["id"] == ann.id
    assert order["customer"] == {"name": "Ann Perkins", "email": ann.email}


async def test_a_cart_created_with_a_customer_token_is_that_customers(shopper):
    ann, ben = await registered(shopper, "Ann Perkins"), await registered(shopper, "Ben Wyatt")
    ref = new_cart()
    created = await shopper.post(
        "/v2/carts", json={"data": {"name": "Ann's", "id": ref}}, headers=ann.headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["data"]["relationships"]["customers"] == {
        "data": {"type": "customer", "id": ann.id}
    }
    renamed_by_ben = await shopper.post(
        "/v2/carts", json={"data": {"name": "Ben's", "id": ref}}, headers=ben.headers
    )
    assert renamed_by_ben.status_code == 403 and only_error(renamed_by_ben)["detail"] == NO_PERMISSION
    listed = await poll_until(lambda: carts_of(shopper, ann), lambda body: len(body["data"]) == 1)
    assert [(cart["id"], cart["name"]) for cart in listed["data"]] == [(ref, "Ann's")]


async def test_a_customers_last_cart_cannot_be_deleted_only_freed(shopper):
    ann = await registered(shopper, "Ann Perkins")
    first, second = new_cart(), new_cart()
    await shopper.post("/v2/carts", json={"data": {"name": "First", "id": first}}, headers=ann.headers)
    last = await shopper.delete(f"/v2/carts/{first}", headers=ann.headers)
    assert last.status_code == 400
    assert only_error(last) == {
        "status": 400,
        "title": "Last cart",
        "detail": "This is the last cart associated with a customer and it cannot be deleted,"
        " try disassociating instead",
    }
    await shopper.post("/v2/carts", json={"data": {"name": "Second", "id": second}}, headers=ann.headers)
    await poll_until(lambda: carts_of(shopper, ann), lambda body: len(body["data"]) == 2)
    assert (await shopper.delete(f"/v2/carts/{first}", headers=ann.headers)).status_code == 204
    assert [cart["id"] for cart in (await carts_of(shopper, ann))["data"]] == [second]
    assert (await shopper.get(f"/v2/carts/{first}")).json()["data"]["relationships"]["customers"] == {}
