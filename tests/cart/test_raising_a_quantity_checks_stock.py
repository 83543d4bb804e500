"""Raising a cart item's quantity is held to the product's availability (400 Insufficient stock,
the line unchanged); lowering it never is, even when stock has since dropped below the line."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from services.cart.domain.cart import Cart, ProductSnapshot
from services.cart.domain.errors import InsufficientStock
from tests.cart.stock_levels import cart_holding_stocked_product, publish_and_wait_for_level

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
SHOE = ProductSnapshot("p-shoe", "shoe", "Shoe", "shoe", "", "live", True, {"USD": (5000, False)})


def test_the_aggregate_refuses_to_raise_a_line_above_the_available_stock() -> None:
    cart = Cart("ref")
    item = cart.add_product(SHOE, 2, currency="USD", available=3, now=NOW)
    pending = len(cart.peek_pending())
    with pytest.raises(InsufficientStock) as refused:
        cart.change_quantity(item, 4, available=3, now=NOW)
    assert refused.value.meta == {"id": "p-shoe", "sku": "shoe", "available": 3}
    assert len(cart.peek_pending()) == pending and cart.lines[item].quantity == 2
    cart.change_quantity(item, 3, available=3, now=NOW)
    assert cart.lines[item].quantity == 3


async def put_quantity(shopper: httpx.AsyncClient, ref: str, item_id: str, quantity: int) -> httpx.Response:
    return await shopper.put(
        f"/v2/carts/{ref}/items/{item_id}", json={"data": {"type": "cart_item", "quantity": quantity}}
    )


async def quantity_in(shopper: httpx.AsyncClient, ref: str) -> int:
    [item] = (await shopper.get(f"/v2/carts/{ref}/items")).json()["data"]
    quantity: int = item["quantity"]
    return quantity


async def test_raising_a_quantity_above_the_available_stock_is_refused_over_http(
    shopper, admin, kafka_bootstrap_servers, topic_prefix
):
    product, ref = await cart_holding_stocked_product(
        shopper, admin, kafka_bootstrap_servers, topic_prefix, 2
    )
    level = {"kafka": kafka_bootstrap_servers, "prefix": topic_prefix, "product_id": product["id"]}
    [item] = (await shopper.get(f"/v2/carts/{ref}/items")).json()["data"]

    refused = await put_quantity(shopper, ref, item["id"], 4)
    assert refused.status_code == 400, refused.text
    [error] = refused.json()["errors"]
    assert error["title"] == "Insufficient stock" and error["meta"]["available"] == 3
    assert await quantity_in(shopper, ref) == 2

    raised = await put_quantity(shopper, ref, item["id"], 3)
    assert raised.status_code == 200, raised.text
    assert await quantity_in(shopper, ref) == 3

    await publish_and_wait_for_level(shopper, **level, total=3, available=1, version=2)
    lowered = await put_quantity(shopper, ref, item["id"], 2)  # still above 1, but lower: allowed
    assert lowered.status_code == 200, lowered.text
    assert await quantity_in(shopper, ref) == 2
