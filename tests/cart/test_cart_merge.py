"""`Cart.Merge` (`{"data": {"type": "cart_items", "cart_id": ...}, "options": {}}`): a guest cart's
lines join the customer's cart with the rules of adding them (stock, live products, the cart's
currency), a product already there has its quantity raised, refused lines are listed in `errors`
(or, all or nothing, fail the whole merge and change nothing), and the guest cart is left unchanged,
as Elastic Path leaves it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.cart.conftest import create_product, new_cart
from tests.cart.registered_customers import customers, registered
from tests.cart.stock_levels import publish_and_wait_for_level
from tests.support.openapi import validate_response

CARTS = "carts-orders.yaml"


async def add(client: httpx.AsyncClient, ref: str, product_id: str, quantity: int, **kwargs: Any) -> None:
    response = await client.post(
        f"/v2/carts/{ref}/items",
        json={"data": {"type": "cart_item", "id": product_id, "quantity": quantity}},
        **kwargs,
    )
    assert response.status_code == 201, response.text


def merge_body(from_ref: str, **options: Any) -> dict[str, Any]:
    return {"data": {"type": "cart_items", "cart_id": from_ref}, "options": options}


async def quantities(client: httpx.AsyncClient, ref: str, **kwargs: Any) -> dict[str, int]:
    response = await client.get(f"/v2/carts/{ref}/items", **kwargs)
    assert response.status_code == 200, response.text
    return {item["sku"]: item["quantity"] for item in response.json()["data"]}


async def test_a_guest_cart_merges_into_the_customers_cart_and_stays_as_it_was(shopper, admin):
    ann = await registered(shopper, "Ann Perkins")
    shoe, hat = await create_product(admin, amount=5000), await create_product(admin, amount=1500)
    guest, theirs = new_cart(), new_cart()
    await add(shopper, guest, shoe["id"], 2)
    await add(shopper, guest, hat["id"], 1)
    wrap = {
        "type": "custom_item",
        "name": "Gift wrap",
        "sku": "wrap",
        "quantity": 1,
        "price": {"amount": 300},
    }
    assert (await shopper.post(f"/v2/carts/{guest}/items", json={"data": wrap})).status_code == 201
    await add(shopper, theirs, shoe["id"], 1, headers=ann.headers)
    associated = await shopper.post(
        f"/v2/carts/{theirs}/relationships/customers", json=customers(ann.id), headers=ann.headers
    )
    assert associated.status_code == 200

    merged = await shopper.post(f"/v2/carts/{theirs}/items", json=merge_body(guest), headers=ann.headers)
    assert merged.status_code == 201, merged.text
    validate_response(CARTS, "/v2/carts/{cartID}/items", "post", "200", merged.json())
    assert "errors" not in merged.json()
    assert {item["sku"]: item["quantity"] for item in merged.json()["data"]} == {
        shoe["sku"]: 3,  # the shoe it held, raised
        hat["sku"]: 1,
        "wrap": 1,
    }
    assert merged.json()["meta"]["display_price"]["with_tax"]["amount"] == 3 * 5000 + 1500 + 300
    assert await quantities(shopper, guest) == {shoe["sku"]: 2, hat["sku"]: 1, "wrap": 1}  # unchanged


async def test_lines_the_stock_cannot_cover_are_refused_and_all_or_nothing_changes_nothing(
    shopper, admin, kafka_bootstrap_servers, topic_prefix
):
    ann = await registered(shopper, "Ann Perkins")
    scarce = await create_product(admin, manage_stock=True)
    plenty = await create_product(admin)
    await publish_and_wait_for_level(
        shopper, kafka_bootstrap_servers, topic_prefix, scarce["id"], total=2, available=2, version=1
    )
    guest, theirs = new_cart(), new_cart()
    await add(shopper, guest, scarce["id"], 2)
    await add(shopper, guest, plenty["id"], 1)
    await add(shopper, theirs, scarce["id"], 1)
    await shopper.post(
        f"/v2/carts/{theirs}/relationships/customers", json=customers(ann.id), headers=ann.headers
    )

    whole = await shopper.post(
        f"/v2/carts/{theirs}/items", json=merge_body(guest, add_all_or_nothing=True), headers=ann.headers
    )
    assert whole.status_code == 400, whole.text
    [error] = whole.json()["errors"]
    assert error["title"] == "Insufficient stock" and error["meta"]["id"] == scarce["id"]
    assert await quantities(shopper, theirs, headers=ann.headers) == {scarce["sku"]: 1}  # nothing merged

    partly = await shopper.post(f"/v2/carts/{theirs}/items", json=merge_body(guest), headers=ann.headers)
    assert partly.status_code == 201, partly.text
    [refused] = partly.json()["errors"]
    assert refused["title"] == "Insufficient stock" and refused["meta"]["available"] == 2
    assert await quantities(shopper, theirs, headers=ann.headers) == {scarce["sku"]: 1, plenty["sku"]: 1}


async def test_merging_is_refused_from_another_customers_cart_into_itself_or_without_a_cart_id(
    shopper, admin
):
    ann, ben = await registered(shopper, "Ann Perkins"), await registered(shopper, "Ben Wyatt")
    product = await create_product(admin)
    bens, anns = new_cart(), new_cart()
    for ref, who in ((bens, ben), (anns, ann)):
        await add(shopper, ref, product["id"], 1)
        await shopper.post(
            f"/v2/carts/{ref}/relationships/customers", json=customers(who.id), headers=who.headers
        )

    stolen = await shopper.post(f"/v2/carts/{anns}/items", json=merge_body(bens), headers=ann.headers)
    assert stolen.status_code == 403, stolen.text
    into_itself = await shopper.post(f"/v2/carts/{anns}/items", json=merge_body(anns), headers=ann.headers)
    assert into_itself.status_code == 400 and into_itself.json()["errors"][0]["source"] == "data.cart_id"
    no_id = await shopper.post(
        f"/v2/carts/{anns}/items", json={"data": {"type": "cart_items"}, "options": {}}, headers=ann.headers
    )
    assert no_id.status_code == 400 and no_id.json()["errors"][0]["source"] == "data.cart_id"
    assert await quantities(shopper, anns, headers=ann.headers) == {product["sku"]: 1}
    assert await quantities(shopper, bens, headers=ben.headers) == {product["sku"]: 1}
