"""Registered customers and their checkouts, through the services' HTTP APIs as a storefront would."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any
from uuid import uuid4

from checkout_platform.storefront.client import Answer, Storefront
from checkout_platform.storefront.httpx_transports import HttpxTransport
from tests.cart.conftest import ADDRESS
from tests.cart.conftest import create_product as create_product_through
from tests.security.conftest import client
from tests.support.polling import poll_until
from tests.support.services import RunningService


@dataclass(frozen=True)
class RegisteredCustomer:
    id: str
    email: str
    token: str  # X-Moltin-Customer-Token


async def register_customer(cart: RunningService, shopper_token: str) -> RegisteredCustomer:
    email = f"shopper.{uuid4().hex[:10]}@example.com"
    password = uuid4().hex
    async with client(cart, shopper_token) as http:
        shop = Storefront(HttpxTransport(http))
        created = await shop.register_customer("Leslie Knope", email, password)
        issued = await shop.customer_token(email, password)
    return RegisteredCustomer(created.json()["data"]["id"], email, issued.json()["data"]["token"])


async def create_product(cart: RunningService, admin_token: str, amount: int = 2500) -> dict[str, Any]:
    async with client(cart, admin_token) as http:
        return await create_product_through(http, amount=amount)


async def check_out(
    cart: RunningService,
    shopper_token: str,
    product_id: str,
    customer: dict[str, str],
    customer_token: str | None = None,
) -> dict[str, Any]:
    """A one-item cart checked out as `customer` ({"id"}, with that customer's token, or
    {"name", "email"}); the new order."""
    ref = uuid4().hex
    async with client(cart, shopper_token) as http:
        shop = Storefront(HttpxTransport(http), customer_token=customer_token)
        await shop.add_item(ref, product_id)
        placed = await shop.check_out(ref, customer, shipping_address=ADDRESS)
    order: dict[str, Any] = placed.json()["data"]
    return order


async def consumed_everywhere(services: dict[str, RunningService], admin_token: str, order_id: str) -> None:
    """Wait until the order and payment services have consumed the checkout of `order_id`.

    Both learn of it over Kafka after the checkout has answered, and here the payment service waits
    only 1 s for an order it has not seen: paying (or reading) at once raced the consumer, and a
    shopper's 404 on someone else's order would only prove that the order had not arrived yet.
    """
    for name in ("order", "payment"):
        async with client(services[name], admin_token) as http:
            admin = Storefront(HttpxTransport(http))
            read = admin.order if name == "order" else admin.transactions
            answer: Answer = await poll_until(
                partial(read, order_id, expect=None), lambda r: r.status_code == 200
            )
        assert answer.status_code == 200, (name, answer.text)
