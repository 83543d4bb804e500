"""A shopper's and an admin's moves across the five services, for the end-to-end tests: clients
for each service, a managed product with stock, a checkout, and polling until a state is reached.
The requests themselves are `checkout_platform.storefront.client`'s."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from checkout_platform.storefront.client import Answer, Storefront
from checkout_platform.storefront.httpx_transports import HttpxTransport
from tests.cart.conftest import create_product
from tests.support.polling import DEADLINE_SECONDS, poll_until
from tests.support.services import authenticated_client


async def api_clients(
    cart_service, order_service, payment_service, inventory_service
) -> dict[str, httpx.AsyncClient]:
    """Authenticated clients by role: admin and shopper on the cart, admin on orders, payments
    as shopper and admin, admin on stock."""
    return {
        "cart_admin": await authenticated_client(cart_service.url, admin=True),
        "shopper": await authenticated_client(cart_service.url, admin=False),
        "orders": await authenticated_client(order_service.url, admin=True),
        "pay_shopper": await authenticated_client(payment_service.url, admin=False),
        "pay_admin": await authenticated_client(payment_service.url, admin=True),
        "stock": await authenticated_client(inventory_service.url, admin=True),
    }


def as_storefront(client: httpx.AsyncClient) -> Storefront[HttpxTransport]:
    """The storefront's steps through one of the role's clients."""
    return Storefront(HttpxTransport(client))


async def eventually(read, check, what: str, timeout: float = DEADLINE_SECONDS):
    """`read()` until `check` holds; a deadline, not a count of tries, because each try is slow on a
    busy machine and the effect crosses Kafka (see `tests.support.polling`)."""
    value = await poll_until(read, check, timeout=timeout)
    assert check(value), f"{what}: last seen {value}"
    return value


async def stock(api, product_id: str) -> tuple[int, int, int]:
    body = (await as_storefront(api["stock"]).stock(product_id, expect=None)).json()["data"]
    return body["total"], body["allocated"], body["available"]


ABSENT = ("absent", "absent", "absent")


async def placed_state(api, order_id: str) -> tuple[str, str, str]:
    """The order's statuses once the order service has it."""
    placed: tuple[str, str, str] = await eventually(
        lambda: order_state(api, order_id), lambda s: s != ABSENT, f"order {order_id}"
    )
    return placed


async def order_state(api, order_id: str) -> tuple[str, str, str]:
    """The order's three statuses; ABSENT while the order service has not consumed the
    checkout yet (a read waits only a few seconds for it, less than the consumer may lag here)."""
    response = await as_storefront(api["orders"]).order(order_id, expect=None)
    if response.status_code == 404:
        return ABSENT
    body = response.json()["data"]
    return body["status"], body["payment"], body["shipping"]


async def managed_product(api, quantity: int, *, amount: int = 5000) -> dict[str, Any]:
    product = await create_product(api["cart_admin"], amount=amount, manage_stock=True)
    await as_storefront(api["stock"]).set_stock(product["id"], quantity)
    return product


async def checkout(
    api, product: dict[str, Any], quantity: int, *, promotion_code: str | None = None
) -> dict[str, Any]:
    shopper, ref = as_storefront(api["shopper"]), uuid4().hex
    await eventually(
        lambda: shopper.add_item(ref, product["id"], quantity, expect=None),
        lambda r: r.status_code == 201,
        "availability reached the cart",
    )
    if promotion_code is not None:
        await shopper.apply_promotion(ref, promotion_code)
    placed = await shopper.check_out(ref, {"name": "Ron", "email": "ron@example.com"})
    order: dict[str, Any] = placed.json()["data"]
    return order


async def authorize(api, order_id: str) -> Answer:
    """The shopper's manual payment: `authorize` (the money comes outside the platform, later)."""
    return await as_storefront(api["pay_shopper"]).pay_manually(order_id, "authorize", expect=None)


async def authorize_and_capture(api, order_id: str) -> dict[str, Any]:
    """A manual payment as a shop takes one: the shopper authorizes, the admin captures once the
    money has come (only an admin may say it has); the captured transaction."""
    authorized = await as_storefront(api["pay_shopper"]).pay_manually(order_id, "authorize")
    captured = await as_storefront(api["pay_admin"]).capture(order_id, authorized.json()["data"]["id"])
    transaction: dict[str, Any] = captured.json()["data"]
    return transaction
