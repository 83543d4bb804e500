"""Automatic promotions (`automatic: true`) apply as Elastic Path applies them: to every eligible cart
without a code, shown as a promotion item, priced again whenever the cart changes and again at
checkout, and they cannot be removed from a cart. Each test prices in a currency of its own, so the
automatic promotions of one test never reach another's carts in this module's service.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.cart.conftest import ADDRESS, create_product, create_promotion, new_cart
from tests.security.ep_errors import assert_ep_error
from tests.support.openapi import validate_response

CARTS = "carts-orders.yaml"
ITEMS = "/v2/carts/{cartID}/items"
CHECKOUT = {"data": {"customer": {"name": "Ron", "email": "ron@example.com"}, "billing_address": ADDRESS}}


async def add_product(shopper: httpx.AsyncClient, ref: str, product: dict[str, Any], quantity: int) -> Any:
    currency = product["price"][0]["currency"]
    response = await shopper.post(
        f"/v2/carts/{ref}/items",
        json={"data": {"type": "cart_item", "id": product["id"], "quantity": quantity}},
        headers={"X-MOLTIN-CURRENCY": currency},
    )
    assert response.status_code == 201, response.text
    validate_response(CARTS, ITEMS, "post", "200", response.json())
    return response.json()


def promotion_items(items: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in items["data"] if item["type"] == "promotion_item"]


def discount(items: dict[str, Any]) -> int:
    amount: int = items["meta"]["display_price"]["discount"]["amount"]
    return amount


async def set_enabled(admin: httpx.AsyncClient, promotion: dict[str, Any], enabled: bool) -> None:
    body = {
        key: promotion[key]
        for key in ("name", "description", "automatic", "promotion_type", "schema", "start", "end")
    }
    response = await admin.put(
        f"/v2/promotions/{promotion['id']}",
        json={
            "data": {
                "type": "promotion",
                **body,
                "min_cart_value": promotion["min_cart_value"],
                "enabled": enabled,
            }
        },
    )
    assert response.status_code == 200, response.text


async def test_an_automatic_promotion_applies_to_every_eligible_cart_as_it_changes(shopper, admin):
    product = await create_product(admin, amount=4000, currency="EUR")
    promotion = await create_promotion(
        admin, code=None, automatic=True, currency="EUR", kind="percent_discount", amount=10, minimum=6000
    )
    assert promotion["automatic"] is True
    ref = new_cart()

    below = await add_product(shopper, ref, product, 1)  # 40.00 < the 60.00 minimum
    assert (discount(below), promotion_items(below)) == (0, [])

    reached = await add_product(shopper, ref, product, 1)  # 80.00: 10 % off, with no code
    assert discount(reached) == -800
    (item,) = promotion_items(reached)
    assert (item["promotion_id"], item["name"], item["value"]["amount"]) == (
        promotion["id"],
        promotion["name"],
        -800,
    )
    line = next(i for i in reached["data"] if i["type"] == "cart_item")
    assert [d["amount"]["amount"] for d in line["discounts"]] == [-800]

    cart = (await shopper.get(f"/v2/carts/{ref}")).json()
    validate_response(CARTS, "/v2/carts/{cartID}", "get", "200", cart)
    assert cart["data"]["relationships"]["promotions"]["data"] == [
        {"type": "promotion", "id": promotion["id"]}
    ]
    assert cart["data"]["meta"]["display_price"]["discount"]["amount"] == -800

    lowered = await shopper.put(f"/v2/carts/{ref}/items/{line['id']}", json={"data": {"quantity": 1}})
    assert lowered.status_code == 200, lowered.text
    assert (discount(lowered.json()), promotion_items(lowered.json())) == (0, [])  # below the minimum again

    other = new_cart()  # another shopper's cart gets it too
    assert discount(await add_product(shopper, other, product, 3)) == -1200
    checkout = await shopper.post(f"/v2/carts/{other}/checkout", json=CHECKOUT)
    assert checkout.status_code == 201, checkout.text
    validate_response(CARTS, "/v2/carts/{cartID}/checkout", "post", "200", checkout.json())
    totals = checkout.json()["data"]["meta"]["display_price"]
    assert (totals["without_discount"]["amount"], totals["discount"]["amount"]) == (12000, -1200)


async def test_checkout_prices_automatic_promotions_again(shopper, admin):
    product = await create_product(admin, amount=5000, currency="GBP")
    promotion = await create_promotion(admin, code=None, automatic=True, currency="GBP", amount=700)
    ref = new_cart()
    assert discount(await add_product(shopper, ref, product, 1)) == -700

    await set_enabled(admin, promotion, False)  # disabled after the cart was priced with it
    assert discount((await shopper.get(f"/v2/carts/{ref}/items")).json()) == 0
    checkout = await shopper.post(f"/v2/carts/{ref}/checkout", json=CHECKOUT)
    assert checkout.status_code == 201, checkout.text
    totals = checkout.json()["data"]["meta"]["display_price"]
    assert (totals["discount"]["amount"], totals["with_tax"]["amount"]) == (0, 5000)

    await set_enabled(admin, promotion, True)  # enabled again: carts get it again
    assert discount(await add_product(shopper, new_cart(), product, 1)) == -700
    deleted = await admin.delete(f"/v2/promotions/{promotion['id']}")
    assert deleted.status_code == 204
    assert discount(await add_product(shopper, new_cart(), product, 1)) == 0


async def test_an_automatic_promotion_cannot_be_removed_from_a_cart(shopper, admin):
    product = await create_product(admin, amount=3000, currency="CHF")
    promotion = await create_promotion(admin, code=None, automatic=True, currency="CHF", amount=500)
    ref = new_cart()
    await add_product(shopper, ref, product, 1)

    refused = await shopper.delete(f"/v2/carts/{ref}/discounts/{promotion['id']}")
    error = assert_ep_error(refused, 400)
    assert error["title"] == "Automatic promotion" and error["meta"] == {"code": promotion["id"]}
    items = (await shopper.get(f"/v2/carts/{ref}/items")).json()
    assert discount(items) == -500 and [i["promotion_id"] for i in promotion_items(items)] == [
        promotion["id"]
    ]
