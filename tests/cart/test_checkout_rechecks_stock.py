"""Checkout checks stock again: a cart filled while stock lasted is refused (400 Insufficient stock,
nothing checked out) once the product's availability has dropped below what it holds, and checks
out once it holds no more than is available."""

from __future__ import annotations

from tests.cart.conftest import ADDRESS
from tests.cart.stock_levels import cart_holding_stocked_product, publish_and_wait_for_level

CHECKOUT = {"data": {"customer": {"name": "Ron", "email": "ron@example.com"}, "billing_address": ADDRESS}}


async def test_checkout_refuses_a_cart_holding_more_than_is_now_available(
    shopper, admin, kafka_bootstrap_servers, topic_prefix
):
    product, ref = await cart_holding_stocked_product(
        shopper, admin, kafka_bootstrap_servers, topic_prefix, 3
    )
    level = {"kafka": kafka_bootstrap_servers, "prefix": topic_prefix, "product_id": product["id"]}

    await publish_and_wait_for_level(shopper, **level, total=3, available=1, version=2)  # others bought 2
    refused = await shopper.post(f"/v2/carts/{ref}/checkout", json=CHECKOUT)
    assert refused.status_code == 400, refused.text
    [error] = refused.json()["errors"]
    assert error["title"] == "Insufficient stock" and error["meta"]["available"] == 1
    [item] = (await shopper.get(f"/v2/carts/{ref}/items")).json()["data"]
    assert item["quantity"] == 3  # the cart is untouched

    lowered = await shopper.put(
        f"/v2/carts/{ref}/items/{item['id']}", json={"data": {"type": "cart_item", "quantity": 1}}
    )
    assert lowered.status_code == 200, lowered.text
    checked_out = await shopper.post(f"/v2/carts/{ref}/checkout", json=CHECKOUT)
    assert checked_out.status_code == 201, checked_out.text
    assert [line["quantity"] for line in checked_out.json()["included"]["items"]] == [1]
