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

from bench.api import TimedTransport
from bench.completions import CompletionWatcher
from checkout_platform.storefront.client import Storefront
from checkout_platform.storefront.sample import CUSTOMER

POLL_FIRST_S, POLL_MAX_S = 0.01, 0.1
"""Set-up polls (is the product sellable yet?) at 10 ms, doubling up to 100 ms."""
FULFILLED = {"shipping": "fulfilled"}


class StillWaiting(Exception):
    """A state the workflow waits for did not arrive in time."""


@dataclass(frozen=True)
class Callers:
    """The admin's and one shopper's storefronts, made once (each holds its ready-made headers)."""

    admin: Storefront[TimedTransport]
    shopper: Storefront[TimedTransport]


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


async def create_stocked_product(admin: Storefront[TimedTransport], sku: str, stock: int) -> str:
    """A stock-managed product with ``stock`` units; returns its id."""
    product = await admin.create_product(sku, "Deck Shoe", {"USD": 5000}, manage_stock=True)
    product_id = str(product.json()["data"]["id"])
    await admin.set_stock(product_id, stock)
    return product_id


async def wait_until_sellable(shopper: Storefront[TimedTransport], product_id: str, seconds: float) -> None:
    """The cart learns a product's stock from `StockLevelChanged`: wait until it accepts the product."""

    async def add() -> int:
        return (await shopper.add_item(uuid4().hex, product_id, expect=(201, 400, 404))).status_code

    await until(add, lambda status: status == 201, seconds, f"product {product_id} sellable")


async def add_to_new_cart(
    shopper: Storefront[TimedTransport], product_id: str, due: float | None = None
) -> str:
    """A fresh cart (a new reference) with one unit; returns the reference. ``due``: see `TimedTransport`."""
    ref = uuid4().hex
    await shopper.add_item(ref, product_id, due=due)
    return ref


async def check_out(shopper: Storefront[TimedTransport], ref: str) -> str:
    """Check the cart out as a guest; returns the order id."""
    return str((await shopper.check_out(ref, CUSTOMER)).json()["data"]["id"])


async def whole_checkout(
    callers: Callers,
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
    ref = await add_to_new_cart(callers.shopper, product_id, due=scheduled)
    checking_out = time.perf_counter()
    order_id = await check_out(callers.shopper, ref)
    completions.expect(order_id)
    try:
        payer = callers.shopper if method == "authorize" else callers.admin  # a purchase is the admin's word
        transaction = await payer.pay_manually(order_id, method)
        if method == "authorize":
            await callers.admin.capture(order_id, transaction.json()["data"]["id"])
        captured = time.perf_counter()
        completed = await completions.wait(order_id, seconds)
    except BaseException:
        completions.forget(order_id)
        raise
    await callers.admin.update_order(order_id, FULFILLED)
    return Checkout(
        order_id,
        method,
        (completed - checking_out) * 1000,
        max(0.0, completed - captured) * 1000,  # the event may be read before the capture's answer
        (completed - started) * 1000,
    )
