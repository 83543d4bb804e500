"""Playing the inventory service for the cart's stock rules: publish a product's availability and
wait until the cart service has consumed it (it crosses Kafka)."""

from __future__ import annotations

import httpx

from shared.contracts.events import StockLevelChanged
from tests.cart.conftest import new_cart
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


async def add(shopper: httpx.AsyncClient, ref: str, product_id: str, quantity: int) -> str:
    """Add `quantity` of the product to cart `ref`: the status, and the error's title if refused."""
    response = await shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product_id, "quantity": quantity}}
    )
    if response.status_code == 201:
        return "201"
    return f"{response.status_code} {response.json()['errors'][0]['title']}"
