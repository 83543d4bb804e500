"""Concurrent writers on one cart: optimistic concurrency with retries loses nothing, and two
checkouts of one cart racing each other make one order."""

from __future__ import annotations

import asyncio

from tests.cart.conftest import ADDRESS, create_product, new_cart


async def test_twenty_concurrent_quantity_updates_lose_none(shopper, admin):
    product = await create_product(admin)
    ref = new_cart()
    add = {"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
    responses = await asyncio.gather(*(shopper.post(f"/v2/carts/{ref}/items", json=add) for _ in range(20)))
    assert [r.status_code for r in responses] == [201] * 20
    [item] = (await shopper.get(f"/v2/carts/{ref}/items")).json()["data"]
    assert item["quantity"] == 20


async def test_two_concurrent_checkouts_of_one_cart_make_one_order(shopper, admin):
    product = await create_product(admin)
    for _ in range(5):
        ref = new_cart()
        await shopper.post(
            f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
        )
        body = {"data": {"customer": {"name": "Ron", "email": "ron@example.com"}, "billing_address": ADDRESS}}
        first, second = await asyncio.gather(
            shopper.post(f"/v2/carts/{ref}/checkout", json=body),
            shopper.post(f"/v2/carts/{ref}/checkout", json=body),
        )
        assert sorted([first.status_code, second.status_code]) == [201, 409]
        won, lost = (first, second) if first.status_code == 201 else (second, first)
        assert lost.json()["errors"][0]["meta"]["order_id"] == won.json()["data"]["id"]
