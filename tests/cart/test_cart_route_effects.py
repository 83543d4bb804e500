"""The cart routes no test reached before: deleting a cart, a bulk item update, removing a promotion
code, deleting a tax item and the `X-MOLTIN-CURRENCY` header. Each answer is checked for its
status and Elastic Path's shape (against the published OpenAPI document), and its effect is checked
on a later read."""

from __future__ import annotations

from typing import Any

import httpx

from tests.cart.conftest import ADDRESS, create_product, create_promotion, new_cart
from tests.security.ep_errors import assert_ep_error
from tests.support.openapi import validate_response

CARTS = "carts-orders.yaml"
ITEMS = "/v2/carts/{cartID}/items"
TAX = {"type": "tax_item", "name": "VAT", "jurisdiction": "UK", "code": "VAT20", "rate": 0.2}


async def add(
    shopper: httpx.AsyncClient, ref: str, item: dict[str, Any], currency: str | None = None
) -> dict[str, Any]:
    headers = {"X-MOLTIN-CURRENCY": currency} if currency else {}
    response = await shopper.post(f"/v2/carts/{ref}/items", json={"data": item}, headers=headers)
    assert response.status_code == 201, response.text
    validate_response(CARTS, ITEMS, "post", "200", response.json())
    answer: dict[str, Any] = response.json()
    return answer


def product_item(product: dict[str, Any], quantity: int) -> dict[str, Any]:
    return {"type": "cart_item", "id": product["id"], "quantity": quantity}


async def items_of(shopper: httpx.AsyncClient, ref: str) -> dict[str, Any]:
    response = await shopper.get(f"/v2/carts/{ref}/items")
    assert response.status_code == 200, response.text
    validate_response(CARTS, ITEMS, "get", "200", response.json())
    items: dict[str, Any] = response.json()
    return items


def total(items: dict[str, Any], part: str = "with_tax") -> int:
    amount: int = items["meta"]["display_price"][part]["amount"]
    return amount


async def test_deleting_a_cart_empties_it_for_later_reads(shopper, admin):
    product = await create_product(admin, amount=1500)
    promotion_code = f"DEL{new_cart()[:6]}"
    await create_promotion(admin, code=promotion_code, amount=100)
    ref = new_cart()
    await shopper.post("/v2/carts", json={"data": {"id": ref, "name": "Birthday"}})
    await add(shopper, ref, product_item(product, 2))
    await add(shopper, ref, {"type": "promotion_item", "code": promotion_code})
    before = (await shopper.get(f"/v2/carts/{ref}")).json()
    validate_response(CARTS, "/v2/carts/{cartID}", "get", "200", before)
    assert before["data"]["name"] == "Birthday" and len(before["data"]["relationships"]["items"]["data"]) == 2

    deleted = await shopper.delete(f"/v2/carts/{ref}")
    assert (deleted.status_code, deleted.content) == (204, b"")

    cart = (await shopper.get(f"/v2/carts/{ref}")).json()  # reads as a cart never created
    assert cart["data"]["meta"]["timestamps"]["created_at"] is None
    assert cart["data"]["name"] == "Cart"  # name and description went with it
    assert cart["data"]["relationships"]["items"]["data"] == []
    assert cart["data"]["relationships"]["promotions"]["data"] == []
    # Not validated against the schema: a cart never created answers null timestamps, which it refuses.
    emptied = await shopper.get(f"/v2/carts/{ref}/items")
    assert emptied.status_code == 200 and (emptied.json()["data"], total(emptied.json())) == ([], 0)
    empty = await shopper.post(
        f"/v2/carts/{ref}/checkout",
        json={"data": {"customer": {"name": "Ron", "email": "ron@example.com"}, "billing_address": ADDRESS}},
    )
    assert assert_ep_error(empty, 400)["title"] == "Cart is empty"


async def test_a_bulk_update_changes_and_removes_several_items_at_once(shopper, admin):
    first, second, third = [await create_product(admin, amount=amount) for amount in (1000, 2000, 3000)]
    ref = new_cart()
    for product in (first, second, third):
        answer = await add(shopper, ref, product_item(product, 1))
    ids = {line["product_id"]: line["id"] for line in answer["data"]}

    updated = await shopper.put(
        f"/v2/carts/{ref}/items",
        json={
            "data": [
                {"type": "cart_item", "id": ids[first["id"]], "quantity": 4},
                {"type": "cart_item", "id": ids[second["id"]], "quantity": 0},
                {"type": "cart_item", "id": ids[third["id"]], "quantity": 2},
            ]
        },
    )
    assert updated.status_code == 200, updated.text
    validate_response(CARTS, ITEMS, "get", "200", updated.json())  # the PUT's 200 documents no body
    expected = {first["id"]: 4, third["id"]: 2}
    assert {line["product_id"]: line["quantity"] for line in updated.json()["data"]} == expected
    assert total(updated.json()) == 4 * 1000 + 2 * 3000

    later = await items_of(shopper, ref)
    assert {line["product_id"]: line["quantity"] for line in later["data"]} == expected
    assert total(later) == 10000

    unknown = await shopper.put(
        f"/v2/carts/{ref}/items",
        json={"data": [{"id": ids[first["id"]], "quantity": 1}, {"id": ids[second["id"]], "quantity": 1}]},
    )
    assert_ep_error(unknown, 404)  # the removed item: the whole update is refused
    assert {
        line["product_id"]: line["quantity"] for line in (await items_of(shopper, ref))["data"]
    } == expected


async def test_removing_a_promotion_code_takes_its_discount_off(shopper, admin):
    product = await create_product(admin, amount=5000)
    code = f"OFF{new_cart()[:6]}"
    promotion = await create_promotion(admin, code=code, amount=1000)
    ref = new_cart()
    await add(shopper, ref, product_item(product, 1))
    applied = await add(shopper, ref, {"type": "promotion_item", "code": code})
    assert total(applied, "discount") == -1000

    removed = await shopper.delete(f"/v2/carts/{ref}/discounts/{code.lower()}")  # codes are case-blind
    assert (removed.status_code, removed.content) == (204, b"")

    items = await items_of(shopper, ref)
    assert [line["type"] for line in items["data"]] == ["cart_item"]
    assert (total(items, "discount"), total(items)) == (0, 5000)
    cart = (await shopper.get(f"/v2/carts/{ref}")).json()
    assert cart["data"]["relationships"]["promotions"]["data"] == []
    again = await shopper.delete(f"/v2/carts/{ref}/discounts/{code}")
    assert assert_ep_error(again, 400)["meta"] == {"code": code}
    assert (await admin.get(f"/v2/promotions/{promotion['id']}/codes")).json()["data"][0]["uses"] == 0


async def test_deleting_a_tax_item_takes_its_tax_off(shopper, admin):
    product = await create_product(admin, amount=10000)
    ref = new_cart()
    item_id = (await add(shopper, ref, product_item(product, 1)))["data"][0]["id"]
    taxes = f"/v2/carts/{ref}/items/{item_id}/taxes"
    created = await admin.post(taxes, json={"data": TAX})
    assert created.status_code == 201, created.text
    validate_response(CARTS, "/v2/carts/{cartID}/items/{cartitemID}/taxes", "post", "200", created.json())
    tax_id = created.json()["data"]["id"]
    taxed = await items_of(shopper, ref)
    assert (total(taxed, "tax"), total(taxed)) == (2000, 12000)

    assert (await shopper.delete(f"{taxes}/{tax_id}")).status_code in (401, 403)  # admins only
    deleted = await admin.delete(f"{taxes}/{tax_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")

    items = await items_of(shopper, ref)
    assert items["data"][0]["relationships"]["taxes"]["data"] == []
    assert (total(items, "tax"), total(items)) == (0, 10000)
    assert_ep_error(await admin.delete(f"{taxes}/{tax_id}"), 404)  # gone


async def test_the_currency_header_prices_the_first_item_and_fixes_the_cart_currency(shopper, admin):
    both = await create_product(admin, amount=1000, also_priced_in={"EUR": 900})
    dollars_only = await create_product(admin, amount=700)
    ref = new_cart()

    in_euros = await add(shopper, ref, product_item(both, 2), currency="eur")
    assert in_euros["data"][0]["unit_price"] == {"amount": 900, "currency": "EUR", "includes_tax": False}
    assert in_euros["meta"]["display_price"]["with_tax"] == {
        "amount": 1800,
        "currency": "EUR",
        "formatted": "€18.00",
    }

    later = await add(shopper, ref, product_item(both, 1), currency="USD")  # the cart is in EUR now
    assert [(line["quantity"], line["unit_price"]["currency"]) for line in later["data"]] == [(3, "EUR")]
    unpriced = await shopper.post(
        f"/v2/carts/{ref}/items",
        json={"data": product_item(dollars_only, 1)},
        headers={"X-MOLTIN-CURRENCY": "USD"},
    )
    assert assert_ep_error(unpriced, 400)["title"] == "Price not found"
    bad = await shopper.post(
        f"/v2/carts/{new_cart()}/items",
        json={"data": product_item(both, 1)},
        headers={"X-MOLTIN-CURRENCY": "EURO"},
    )
    assert_ep_error(bad, 400)

    items = await items_of(shopper, ref)
    assert [(line["quantity"], line["unit_price"]["currency"]) for line in items["data"]] == [(3, "EUR")]
    assert items["meta"]["display_price"]["with_tax"]["amount"] == 2700
    assert (await shopper.get(f"/v2/carts/{ref}")).json()["data"]["meta"]["display_price"]["with_tax"][
        "currency"
    ] == "EUR"
