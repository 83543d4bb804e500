"""Deeply nested JSON is a 400 in EP's shape, never a 500, and nothing is written (issue 22, L5).

`custom_inputs` nested 300 deep answered 500 (orjson refuses to write past 254 levels), and a
990-deep list holding a NUL overflowed the recursive NUL check. Bodies may nest 32 levels."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from tests.security.conftest import client
from tests.security.ep_errors import assert_ep_error
from tests.security.responsiveness import assert_stayed_responsive, latencies_during, usual_latency
from tests.security.shoppers import create_product


def nested(depth: int, innermost: Any) -> Any:
    value = innermost
    for _ in range(depth):
        value = {"level": value}
    return value


async def test_deeply_nested_bodies_are_refused_and_nothing_is_written(services, admin_token, shopper_token):
    cart = services["cart"]
    product = await create_product(cart, admin_token)
    ref = uuid4().hex
    item = {"type": "cart_item", "id": product["id"], "quantity": 1}
    async with client(cart, shopper_token) as http:
        too_deep = await http.post(
            f"/v2/carts/{ref}/items", json={"data": {**item, "custom_inputs": nested(300, "x")}}
        )
        error = assert_ep_error(too_deep, 400)
        assert "32 levels" in error["detail"]

        nul_deep = "[" * 990 + '"\\u0000"' + "]" * 990

        async def read() -> object:  # unrelated to the attack
            return await http.get(f"/v2/products/{product['id']}")

        async def attack() -> list[httpx.Response]:
            # one after another: a burst sent at once would queue the read behind all of it, which
            # measures the burst's size, not whether one refusal holds the event loop
            return [
                await http.post(
                    f"/v2/carts/{ref}/items", content=nul_deep, headers={"Content-Type": "application/json"}
                )
                for _ in range(50)
            ]

        usual = await usual_latency(read)
        refused, during = await latencies_during(attack(), read)
        for answer in refused:
            assert_ep_error(answer, 400)
        assert_stayed_responsive(usual, during)

        # Nothing was written: the cart is empty, and a shallow custom input is still welcome.
        items = await http.get(f"/v2/carts/{ref}/items")
        assert items.status_code == 200 and items.json()["data"] == [], items.text
        shallow = await http.post(
            f"/v2/carts/{ref}/items", json={"data": {**item, "custom_inputs": nested(2, "x")}}
        )
        assert shallow.status_code == 201, shallow.text
