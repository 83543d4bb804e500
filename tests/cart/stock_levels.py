"""Playing the inventory service for the cart's stock rules: publish a product's availability and
wait until the cart service has consumed it (it crosses Kafka)."""

from __future__ import annotations

from typing import Any

import httpx

from shared.contracts.events import StockLevelChanged
from tests.cart.conftest import create_product, new_cart
from tests.support.kafka import publish_event
from tests.support.polling import poll_until


async def publish_and_wait_for_level(
    shopper: httpx.AsyncClient,
    kafka: str,
    prefix: str,
    product_id: str,
    *,
    total: int,
    available: int,
    version: int,
) -> None:
    """Publish the product's level, then wait for proof the cart uses it: a fresh cart may add
    `available` of it but not one more (every try is a new, throwaway cart)."""
    level = StockLevelChanged(
        product_id=product_id, total=total, allocated=total - available, available=available, version=version
    )
    await publish_event(kafka, prefix, level, product_id, "inventory")

    async def answers() -> tuple[str, str]:
        fits = await add(shopper, new_cart(), product_id, available) if available else "201"
        return fits, await add(shopper, new_cart(), product_id, available + 1)

    taken_up = ("201", "400 Insufficient stock")
    seen = await poll_until(answers, lambda answered: answered == taken_up)
    assert seen == taken_up, f"the cart service did not take up availability {available}: {seen}"


async def cart_holding_stocked_product(
    shopper: httpx.AsyncClient, admin: httpx.AsyncClient, kafka: str, prefix: str, quantity: int
) -> tuple[dict[str, Any], str]:
    """A new stock-managed product of which 3 are available (the cart service has taken that up) and
    a new cart holding `quantity` of it: (the product, the cart's ref). The test lowers the level
    next (version 2), as if others had bought some."""
    product = await create_product(admin, manage_stock=True)
    await publish_and_wait_for_level(shopper, kafka, prefix, product["id"], total=3, available=3, version=1)
    ref = new_cart()
    assert await add(shopper, ref, product["id"], quantity) == "201"
    return product, ref


async def add(shopper: httpx.AsyncClient, ref: str, product_id: str, quantity: int) -> str:
    """Add `quantity` of the product to cart `ref`: the status, and the error's title if refused."""
    response = await shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product_id, "quantity": quantity}}
    )
    if response.status_code == 201:
        return "201"
    return f"{response.status_code} {response.json()['errors'][0]['title']}"
