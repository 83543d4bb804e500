"""A bulk add reports each refused item in EP's words, and nothing else (issue 22, point 7, L5).

The partial-failure path put `str(exc)` of any exception into `errors`: internal messages reached
the client, and a bug answered as if an item were merely refused. Only a rule's refusal (a domain
error: its status, title, detail and meta) is reported per item now; anything else is a 500."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from tests.security.conftest import client
from tests.security.ep_errors import ep_error_problems
from tests.security.responsiveness import assert_stayed_responsive, latencies_during, usual_latency
from tests.security.shoppers import create_product

ATTEMPTS = 40
"""Bulk adds of items that do not exist, sent while an unrelated read is timed."""


def assert_refused_by_rule(body: dict[str, Any], missing: str) -> None:
    """`errors` names one refused item as its rule does (EP's 404), with nothing else in it."""
    assert ep_error_problems(404, {"errors": body["errors"]}) == []
    [refused] = body["errors"]
    assert set(refused) <= {"status", "title", "detail", "source", "meta"}
    assert refused["status"] == 404 and refused["meta"]["id"] == missing, refused


async def test_a_refused_item_of_a_bulk_add_is_described_by_its_rule(services, admin_token, shopper_token):
    product = await create_product(services["cart"], admin_token)
    missing = str(uuid4())
    ref = uuid4().hex
    async with client(services["cart"], shopper_token) as http:
        added = await http.post(
            f"/v2/carts/{ref}/items",
            json={
                "data": [
                    {"type": "cart_item", "id": product["id"], "quantity": 1},
                    {"type": "cart_item", "id": missing, "quantity": 1},
                ]
            },
        )
    assert added.status_code == 201, added.text
    body = added.json()
    assert [item["product_id"] for item in body["data"]] == [product["id"]]
    assert_refused_by_rule(body, missing)


async def test_bulk_adds_of_missing_products_in_a_loop_leave_the_cart_service_responsive(
    services, admin_token, shopper_token
):
    product = await create_product(services["cart"], admin_token)
    missing = str(uuid4())
    bulk = {"data": [{"type": "cart_item", "id": missing, "quantity": 1}] * 2}
    async with (
        client(services["cart"], shopper_token) as http,
        client(services["cart"], shopper_token) as reader,
    ):

        async def read() -> None:  # a product, unrelated to the attacked cart
            answer = await reader.get(f"/v2/products/{product['id']}")
            assert answer.status_code == 200, answer.text

        async def attack() -> list[httpx.Response]:
            return [await http.post(f"/v2/carts/{uuid4().hex}/items", json=bulk) for _ in range(ATTEMPTS)]

        usual = await usual_latency(read)
        answers, during = await latencies_during(attack(), read)
    for added in answers:
        assert added.status_code == 201, added.text
        body = added.json()
        assert body["data"] == [], body
        assert len(body["errors"]) == 2, body
        for refused in body["errors"]:
            assert_refused_by_rule({"errors": [refused]}, missing)
    assert_stayed_responsive(usual, during)
