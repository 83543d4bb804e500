"""The seed's checkout, step by step, as one virtual shopper does it (the same calls as `make demo` and
tests/sdk/checkout_workflow.js): add to cart, check out, pay, capture, wait for `complete`, ship.

`complete` is the order's `OrderCompleted` read from Kafka (:mod:`bench.completions`), not a poll of
the order, and the stock deduction is verified per product once its checkouts are over
(:mod:`bench.stock_ledger`): the benchmark's bookkeeping costs the stack no request per checkout.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from bench.api import Api, Reply
from bench.completions import CompletionWatcher
from demo.sample import ADDRESS, CUSTOMER

POLL_FIRST_S, POLL_MAX_S = 0.01, 0.1
"""Set-up polls (is the product sellable yet?) at 10 ms, doubling up to 100 ms."""


class StillWaiting(Exception):
    """A state the workflow waits for did not arrive in time."""


@dataclass(frozen=True)
class Tokens:
    admin: str
    shopper: str


@dataclass(frozen=True)
class Checkout:
    """One completed and shipped checkout, with the times the report needs (milliseconds)."""

    order_id: str
    method: str
    checkout_to_complete_ms: float
    """From the checkout request to `OrderCompleted`."""
    capture_to_complete_ms: float
    """From the capture's answer (or the purchase's) to `OrderCompleted`."""
    start_to_complete_ms: float
    """From the (scheduled) start, adding to the cart, to `OrderCompleted`."""


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


async def add_to_new_cart(api: Api, shopper: str, product_id: str, since: float | None = None) -> str:
    """A fresh cart (a new reference) with one unit; returns the reference."""
    ref = uuid4().hex
    await api.call(
        "POST",
        f"/v2/carts/{ref}/items",
        "POST /v2/carts/{ref}/items",
        shopper,
        body=cart_item(product_id),
        since=since,
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
    api: Api, token: str, order_id: str, method: str, expect: tuple[int, ...] = (200, 201)
) -> Reply:
    """`POST /v2/orders/{id}/payments` with the manual gateway: a shopper's `authorize`, or an
    admin's `purchase` (money received outside the platform, which only an admin may record)."""
    return await api.call(
        "POST",
        f"/v2/orders/{order_id}/payments",
        f"POST /v2/orders/{{id}}/payments ({method})",
        token,
        body={"data": {"gateway": "manual", "method": method}},
        expect=expect,
    )


async def capture(api: Api, admin: str, order_id: str, transaction_id: str) -> Reply:
    """The admin captures a manual authorisation once the money has come."""
    return await api.call(
        "POST",
        f"/v2/orders/{order_id}/transactions/{transaction_id}/capture",
        "POST /v2/orders/{id}/transactions/{id}/capture",
        admin,
    )


async def whole_checkout(
    api: Api,
    tokens: Tokens,
    product_id: str,
    method: str,
    completions: CompletionWatcher,
    seconds: float,
    scheduled: float | None = None,
) -> Checkout:
    """Cart to shipped: returns once the PUT `fulfilled` answered; the stock is the caller's ledger's.

    ``scheduled`` (a ``time.perf_counter()``) is when an open-loop checkout was due: its first request
    and its start-to-complete time count from then.
    """
    started = time.perf_counter() if scheduled is None else scheduled
    ref = await add_to_new_cart(api, tokens.shopper, product_id, since=scheduled)
    checking_out = time.perf_counter()
    order_id = await check_out(api, tokens, ref)
    completions.expect(order_id)
    try:
        payer = tokens.shopper if method == "authorize" else tokens.admin  # a purchase is the admin's word
        transaction = await pay(api, payer, order_id, method)
        if method == "authorize":
            await capture(api, tokens.admin, order_id, transaction.json()["data"]["id"])
        captured = time.perf_counter()
        completed = await completions.wait(order_id, seconds)
    except BaseException:
        completions.forget(order_id)
        raise
    await api.call(
        "PUT",
        f"/v2/orders/{order_id}",
        "PUT /v2/orders/{id}",
        tokens.admin,
        body={"data": {"type": "order", "shipping": "fulfilled"}},
    )
    return Checkout(
        order_id,
        method,
        (completed - checking_out) * 1000,
        max(0.0, completed - captured) * 1000,  # the event may be read before the capture's answer
        (completed - started) * 1000,
    )
