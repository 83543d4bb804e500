"""Inputs that once made the cart service answer 500, found by fuzzing the API through the gateway.

Each is now a 400 in Elastic Path's shape that changes nothing; the largest valid values still work.
"""

from __future__ import annotations

import pytest

from services.cart.adapters.http.requests import MAX_AMOUNT, MAX_QUANTITY
from tests.cart.conftest import create_product, new_cart
from tests.security.ep_errors import assert_ep_error


def product_body(amount: int) -> dict[str, object]:
    return {
        "data": {
            "type": "product",
            "name": "Costly",
            "sku": f"costly-{new_cart()[:8]}",
            "price": [{"amount": amount, "currency": "USD", "includes_tax": False}],
        }
    }


@pytest.mark.parametrize("amount", [MAX_AMOUNT + 1, 2**63, -1])
async def test_a_product_price_out_of_range_is_refused(admin, amount):
    """An unbounded price was stored, and then every cart holding the product answered 500:
    its line value no longer fit in 64 bits (JSON rendering, then the checkout's event append)."""
    response = await admin.post("/v2/products", json=product_body(amount))
    error = assert_ep_error(response, 400)
    assert error["source"] == "data.price.0.amount"


async def test_the_largest_price_times_the_largest_quantity_still_checks_out_of_a_cart(admin, shopper):
    product = await create_product(admin, amount=MAX_AMOUNT)
    ref = new_cart()
    added = await shopper.post(
        f"/v2/carts/{ref}/items",
        json={"data": {"type": "cart_item", "id": product["id"], "quantity": MAX_QUANTITY}},
    )
    assert added.status_code == 201, added.text
    cart = await shopper.get(f"/v2/carts/{ref}")
    assert cart.status_code == 200, cart.text
    assert cart.json()["data"]["meta"]["display_price"]["without_tax"]["amount"] == MAX_AMOUNT * MAX_QUANTITY


@pytest.mark.parametrize("rate", ["nan", "NaN", "snan", "-nan"])
async def test_a_nan_tax_rate_is_refused(admin, shopper, rate):
    """Decimal("nan") parsed, then comparing it with the bounds raised InvalidOperation: a 500."""
    ref = new_cart()
    added = await shopper.post(
        f"/v2/carts/{ref}/items",
        json={
            "data": {"type": "custom_item", "name": "x", "sku": "x", "quantity": 1, "price": {"amount": 100}}
        },
    )
    assert added.status_code == 201, added.text
    item_id = added.json()["data"][0]["id"]
    response = await admin.post(f"/v2/carts/{ref}/items/{item_id}/taxes", json={"data": {"rate": rate}})
    error = assert_ep_error(response, 400)
    assert error["source"] == "data.rate"
    items = (await shopper.get(f"/v2/carts/{ref}/items")).json()["data"]
    assert [item["relationships"]["taxes"]["data"] for item in items] == [[]]
