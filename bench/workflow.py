"""The seed's checkout, step by step, as one virtual shopper does it (the same calls as `make demo` and
tests/sdk/checkout_workflow.js): add to cart, check out, pay, capture, wait for `complete`, ship, wait
for the stock to be deducted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from bench.api import Api, Reply
from demo.sample import ADDRESS, CUSTOMER

POLL_FIRST_S, POLL_MAX_S = 0.01, 0.1
"""Waiting polls at 10 ms, doubling up to 100 ms: fine-grained latency without flooding the gateway."""


class StillWaiting(Exception):
    """A state the workflow waits for did not arrive in time."""


@dataclass(frozen=True)
class Tokens:
    admin: str
    shopper: str


@dataclass(frozen=True)
class Checkout:
    """One completed checkout, with the times the report needs (milliseconds)."""

    order_id: str
    method: str
    checkout_to_complete_ms: float
    capture_to_complete_ms: float


async def until(
    read: Callable[[], Awaitable[Any]], done: Callable[[Any], bool], seconds: float, what: str
) -> Any:
    """Poll ``read`` until ``done`` holds, backing off from 10 ms to 100 ms; raise after ``seconds``."""
    deadline = time.monotonic() + seconds
    pause = POLL_FIRST_S
    while True:
        value = await read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise StillWaiting(f"{what}: still {value!r} after {seconds:.0f} s")
        await asyncio.sleep(pause)
        pause = min(pause * 2, POLL_MAX_S)


async def create_stocked_product(api: Api, admin: str, sku: str, stock: int) -> str:
    """A stock-managed product with ``stock`` units; returns its id."""
    product = await api.call(
        "POST",
        "/v2/products",
        "POST /v2/products",
        admin,
        body={
            "data": {
                "type": "product",
                "name": "Deck Shoe",
                "sku": sku,
                "manage_stock": True,
                "price": [{"amount": 5000, "currency": "USD", "includes_tax": False}],
            }
        },
    )
    product_id = str(product.json()["data"]["id"])
    await api.call(
        "POST",
        f"/v2/inventories/{product_id}",
        "POST /v2/inventories/{id}",
        admin,
        body={"data": {"quantity": stock}},
    )
    return product_id


def cart_item(product_id: str) -> dict[str, Any]:
    return {"data": {"type": "cart_item", "id": product_id, "quantity": 1}}


async def wait_until_sellable(api: Api, shopper: str, product_id: str, seconds: float) -> None:
    """The cart learns a product's stock from `StockLevelChanged`: wait until it accepts the product."""

    async def add() -> int:
        response = await api.call(
            "POST",
            f"/v2/carts/{uuid4().hex}/items",
            "POST /v2/carts/{ref}/items",
            shopper,
            body=cart_item(product_id),
            expect=(201, 400, 404),
        )
        return response.status_code

    await until(add, lambda status: status == 201, seconds, f"product {product_id} sellable")


async def add_to_new_cart(api: Api, shopper: str, product_id: str) -> str:
    """A fresh cart (a new reference) with one unit; returns the reference."""
    ref = uuid4().hex
    await api.call(
        "POST", f"/v2/carts/{ref}/items", "POST /v2/carts/{ref}/items", shopper, body=cart_item(product_id)
    )
    return ref


async def check_out(api: Api, tokens: Tokens, ref: str) -> str:
    """Check the cart out as a guest; returns the order id."""
    order = await api.call(
        "POST",
        f"/v2/carts/{ref}/checkout",
        "POST /v2/carts/{ref}/checkout",
        tokens.shopper,
        body={"data": {"customer": CUSTOMER, "billing_address": ADDRESS}},
    )
    return str(order.json()["data"]["id"])


async def pay(
    api: Api, shopper: str, order_id: str, method: str, expect: tuple[int, ...] = (200, 201)
) -> Reply:
    """`POST /v2/orders/{id}/payments` with the manual gateway (`purchase` or `authorize`)."""
    return await api.call(
        "POST",
        f"/v2/orders/{order_id}/payments",
        f"POST /v2/orders/{{id}}/payments ({method})",
        shopper,
        body={"data": {"gateway": "manual", "method": method}},
        expect=expect,
    )


async def order_status(api: Api, admin: str, order_id: str) -> str:
    response = await api.call("GET", f"/v2/orders/{order_id}", "GET /v2/orders/{id}", admin)
    return str(response.json()["data"]["status"])


async def stock_total(api: Api, admin: str, product_id: str) -> int:
    response = await api.call("GET", f"/v2/inventories/{product_id}", "GET /v2/inventories/{id}", admin)
    return int(response.json()["data"]["total"])


async def wait_complete(api: Api, admin: str, order_id: str, seconds: float) -> None:
    await until(
        lambda: order_status(api, admin, order_id), lambda s: s == "complete", seconds, f"order {order_id}"
    )


async def whole_checkout(
    api: Api, tokens: Tokens, product_id: str, stock_before: int, method: str, seconds: float
) -> Checkout:
    """Cart to shipped: the product's stock total must drop from ``stock_before`` by exactly one.

    One shopper owns ``product_id``, so that deduction is exact and checkable while others run.
    """
    ref = await add_to_new_cart(api, tokens.shopper, product_id)
    started = time.perf_counter()
    order_id = await check_out(api, tokens, ref)
    transaction = await pay(api, tokens.shopper, order_id, method)
    if method == "authorize":
        transaction_id = transaction.json()["data"]["id"]
        await api.call(
            "POST",
            f"/v2/orders/{order_id}/transactions/{transaction_id}/capture",
            "POST /v2/orders/{id}/transactions/{id}/capture",
            tokens.admin,
        )
    captured = time.perf_counter()
    await wait_complete(api, tokens.admin, order_id, seconds)
    completed = time.perf_counter()
    await api.call(
        "PUT",
        f"/v2/orders/{order_id}",
        "PUT /v2/orders/{id}",
        tokens.admin,
        body={"data": {"type": "order", "shipping": "fulfilled"}},
    )
    await until(
        lambda: stock_total(api, tokens.admin, product_id),
        lambda total: total == stock_before - 1,
        seconds,
        f"stock of {product_id} deducted to {stock_before - 1}",
    )
    return Checkout(order_id, method, (completed - started) * 1000, (completed - captured) * 1000)
