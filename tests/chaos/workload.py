"""The steady checkout workload: shoppers that add a product to a cart, check out and pay.

Each `Journey` is one cart. Its `plan` says what the shopper (and the shop's admin) do after
checking out: `purchase` (the admin records a manual payment received outside the platform, which
only an admin may), `authorize` then the admin's capture, `refund` (purchase, then a full refund),
`ship` (purchase, then flagged fulfilled), `unpaid` or `cancel` (the admin cancels the unpaid
order). Every call goes through a `Storefront` over a `RetryingTransport`; when an answer is lost
the journey finds out what happened the way a storefront would (a repeated checkout answers 409 with
the order; the order's transactions say whether a payment went through) instead of guessing. A 5xx
the storefront hands back (it retries 502, 503 and 504: a 500) is never one of those answers: the
services promise 503 for what a client may retry, so every step notes it as a problem, and the
suite fails on it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from checkout_platform.storefront.client import Storefront
from checkout_platform.storefront.httpx_transports import RetryingTransport

PLANS = ("purchase",) * 9 + ("authorize",) * 6 + ("refund", "ship", "ship", "unpaid", "cancel")
SETTLED = ("complete", "failed", "cancelled")


@dataclass
class Journey:
    cart_id: str
    product_id: str
    quantity: int
    plan: str
    repeat_checkout: bool = False  # the storefront sends the checkout again, as after a lost answer
    order_id: str | None = None
    transaction_id: str | None = None
    outcome: str = (
        "planned"  # no_stock | refused | paid | authorized | unpaid | cancelled | refunded | shipped
    )
    problems: list[str] = field(default_factory=list)  # answers the storefront could not make sense of
    recovered: list[str] = field(default_factory=list)  # ambiguous answers it resolved by asking again


CUSTOMER = {"name": "Chaos Shopper", "email": "chaos@example.com"}


@dataclass
class Shop:
    """The storefronts a journey uses: the shopper's and the admin's, per service."""

    cart: Storefront[RetryingTransport]
    pay: Storefront[RetryingTransport]
    cart_admin: Storefront[RetryingTransport]
    pay_admin: Storefront[RetryingTransport]
    order_admin: Storefront[RetryingTransport]
    stock_admin: Storefront[RetryingTransport]

    def all(self) -> list[RetryingTransport]:
        """Their transports: what each had to retry, and what to close."""
        storefronts = (
            self.cart,
            self.pay,
            self.cart_admin,
            self.pay_admin,
            self.order_admin,
            self.stock_admin,
        )
        return [storefront.transport for storefront in storefronts]

    def retries(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for client in self.all():
            total.update(client.retries)
        return total


def plan_journeys(products: list[str], count: int) -> list[Journey]:
    """`count` carts, each of one random product (1 or 2 units) and a random plan."""
    rng = random.Random()
    return [
        Journey(
            uuid4().hex, rng.choice(products), rng.choice((1, 1, 2)), rng.choice(PLANS), rng.random() < 0.1
        )
        for _ in range(count)
    ]


async def run_journeys(shop: Shop, journeys: list[Journey], concurrency: int) -> None:
    """Walk every journey, `concurrency` at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(journey: Journey) -> None:
        async with gate:
            journey.outcome = "started"
            try:
                await walk(shop, journey)
            except AssertionError as exc:
                journey.problems.append(f"gave up: {exc}")

    await asyncio.gather(*(one(j) for j in journeys))


async def walk(shop: Shop, journey: Journey) -> None:
    added = await shop.cart.add_item(journey.cart_id, journey.product_id, journey.quantity, expect=None)
    if _insufficient(added):
        journey.outcome = "no_stock"
        return
    if added.status_code != 201:
        journey.problems.append(f"add item: {added.status_code} {added.text[:200]}")
        return
    if not await _check_out(shop, journey):
        return
    if journey.plan in ("unpaid", "cancel"):
        journey.outcome = "unpaid"
        if journey.plan == "cancel":
            await _cancel(shop, journey)
        return
    method = "authorize" if journey.plan == "authorize" else "purchase"
    transaction = await _pay(shop, journey, method)
    if transaction is None:
        return
    journey.transaction_id = transaction["id"]
    journey.outcome = "authorized" if method == "authorize" else "paid"
    if method == "authorize":
        await _capture(shop, journey)
    elif journey.plan == "refund":
        await _refund(shop, journey, int(transaction["amount"]))
    elif journey.plan == "ship":
        await _ship(shop, journey)


def _server_error(journey: Journey, step: str, response: Any) -> bool:
    """Note a 5xx answer (the storefront retried the 502/503/504 ones) as a problem of the journey."""
    if response.status_code < 500:
        return False
    journey.problems.append(f"{step}: {response.status_code} {response.text[:200]}")
    return True


def _insufficient(response: Any) -> bool:
    if response.status_code != 400:
        return False
    return bool(response.json()["errors"][0]["title"] == "Insufficient stock")


async def _check_out(shop: Shop, journey: Journey) -> bool:
    response = await shop.cart.check_out(journey.cart_id, CUSTOMER, expect=None)
    if response.status_code == 201:
        journey.order_id = str(response.json()["data"]["id"])
    elif response.status_code == 409:  # an earlier attempt went through; its answer was lost
        journey.order_id = str(response.json()["errors"][0]["meta"]["order_id"])
        journey.recovered.append("checkout: 409, the order of the earlier attempt")
    elif _insufficient(response):
        journey.outcome = "no_stock"
        return False
    else:
        journey.problems.append(f"checkout: {response.status_code} {response.text[:200]}")
        return False
    journey.outcome = "checked_out"
    if journey.repeat_checkout:
        again = await shop.cart.check_out(journey.cart_id, CUSTOMER, expect=None)
        if again.status_code != 409 or again.json()["errors"][0]["meta"]["order_id"] != journey.order_id:
            journey.problems.append(f"repeated checkout: {again.status_code} {again.text[:200]}")
            return False
        journey.recovered.append("checkout repeated: 409 with the same order")
    return True


async def _pay(shop: Shop, journey: Journey, method: str) -> dict[str, Any] | None:
    """The transaction that paid for the order, or None (refused for stock, or a problem noted)."""
    assert journey.order_id is not None
    for _ in range(4):
        payer = shop.pay_admin if method == "purchase" else shop.pay  # a manual purchase is the admin's
        response = await payer.pay_manually(journey.order_id, method, expect=None)
        _server_error(journey, "pay", response)
        if response.status_code == 200 and response.json()["data"]["status"] == "complete":
            return dict(response.json()["data"])
        if response.status_code == 422 and response.json()["errors"][0]["title"] == "Cannot complete request":
            journey.outcome = "refused"
            return None
        # Anything else is ambiguous (a lost answer retried into "already paid", an allocation
        # that timed out, an error): ask the order's transactions once they have settled.
        settled = await _settled_transactions(shop, journey)
        done = [t for t in settled if t["status"] == "complete"]
        if done:
            return dict(done[0])
        if any((t.get("failure_details") or {}).get("code") == "insufficient_stock" for t in settled):
            journey.outcome = "refused"
            return None
        journey.recovered.append(f"pay: {response.status_code} {response.text[:160]}; paying again")
    journey.problems.append("pay: no settled payment after 4 attempts")
    return None


async def _settled_transactions(shop: Shop, journey: Journey) -> list[dict[str, Any]]:
    """The order's transactions once none is pending (the reconciler settles abandoned ones)."""
    assert journey.order_id is not None
    deadline = time.monotonic() + 120
    while True:
        response = await shop.pay_admin.transactions(journey.order_id, expect=None)
        _server_error(journey, "transactions", response)
        found = list(response.json()["data"]) if response.status_code == 200 else []
        if response.status_code == 200 and all(t["status"] in SETTLED for t in found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"transactions of {journey.order_id} not settled: {response.text[:300]}")
        await asyncio.sleep(1.0)


async def _transaction(shop: Shop, journey: Journey) -> dict[str, Any]:
    assert journey.order_id is not None and journey.transaction_id is not None
    return dict((await shop.pay_admin.transaction(journey.order_id, journey.transaction_id)).json()["data"])


async def _capture(shop: Shop, journey: Journey) -> None:
    assert journey.order_id is not None and journey.transaction_id is not None
    response = await shop.pay_admin.capture(journey.order_id, journey.transaction_id, expect=None)
    _server_error(journey, "capture", response)
    if response.status_code != 200:  # a retried capture whose first answer was lost is refused
        if (await _transaction(shop, journey)).get("capture_mechanism") is None:
            journey.problems.append(f"capture: {response.status_code} {response.text[:200]}")
            return
    journey.outcome = "paid"


async def _refund(shop: Shop, journey: Journey, amount: int) -> None:
    assert journey.order_id is not None and journey.transaction_id is not None
    response = await shop.pay_admin.refund(journey.order_id, journey.transaction_id, amount, expect=None)
    _server_error(journey, "refund", response)
    if response.status_code != 200 and (await _transaction(shop, journey))["refunded_amount"] != amount:
        journey.problems.append(f"refund: {response.status_code} {response.text[:200]}")
        return
    journey.outcome = "refunded"


async def _ship(shop: Shop, journey: Journey) -> None:
    """The order learns of the payment asynchronously: shipping waits until it is paid."""
    await _update_order(shop, journey, "ship", {"shipping": "fulfilled"}, "shipped")


async def _cancel(shop: Shop, journey: Journey) -> None:
    """The order may not have reached the order service yet: cancelling waits until it has."""
    await _update_order(shop, journey, "cancel", {"status": "cancelled"}, "cancelled")


async def _update_order(
    shop: Shop, journey: Journey, step: str, change: dict[str, str], outcome: str
) -> None:
    """The admin's `change` to the order, sent again until it is accepted or two minutes passed."""
    assert journey.order_id is not None
    deadline = time.monotonic() + 120
    while True:
        response = await shop.order_admin.update_order(journey.order_id, change, expect=None)
        _server_error(journey, step, response)
        if response.status_code == 200:
            journey.outcome = outcome
            return
        if time.monotonic() > deadline:
            journey.problems.append(f"{step}: {response.status_code} {response.text[:200]}")
            return
        await asyncio.sleep(0.5)
