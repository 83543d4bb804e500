"""The hot-product scenario: many shoppers, little stock, everyone pays at once.

Each shopper authorizes a manual payment (the stock is allocated then), and the admin captures
each authorisation taken. The expected outcome is exactly ``stock`` payments taken and every other
one refused with Elastic Path's stock error (422 "Cannot complete request", or the cart's 400
"Insufficient stock"), charging nothing. Those refusals are the correct answer, not errors; anything
else is. Every paid order must then complete (its `OrderCompleted` read from Kafka), and the stock,
read once, be all allocated.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import uuid4

import aiohttp

from bench.api import Api, UnexpectedResponse
from bench.completions import CompletionWatcher, NotCompleted
from bench.recorder import Recorder
from bench.settings import BenchSettings
from bench.workflow import add_to_new_cart, check_out, create_stocked_product, wait_until_sellable

STOCK_ERRORS = ("Cannot complete request", "Insufficient stock")
BATCH = 20


async def run_hot_product(
    api: Api, settings: BenchSettings, admin: str, completions: CompletionWatcher
) -> dict[str, Any]:
    recorder: Recorder = api.recorder
    admin_storefront = api.storefront(admin)
    shopper = api.storefront(await api.token(settings.client_id))
    product_id = await create_stocked_product(admin_storefront, f"hot-{uuid4().hex[:10]}", settings.hot_stock)
    await wait_until_sellable(shopper, product_id, settings.complete_timeout)

    async def order() -> str | None:
        try:
            return await check_out(shopper, await add_to_new_cart(shopper, product_id))
        except (UnexpectedResponse, aiohttp.ClientError, TimeoutError) as exc:
            recorder.failed(f"hot product checkout: {exc}")
            return None

    orders: list[str] = []
    for start in range(0, settings.hot_shoppers, BATCH):
        batch = await asyncio.gather(*(order() for _ in range(min(BATCH, settings.hot_shoppers - start))))
        orders += [o for o in batch if o is not None]

    for order_id in orders:
        completions.expect(order_id)
    storm_started = time.perf_counter()
    answers = await asyncio.gather(
        *(shopper.pay_manually(o, "authorize", expect=(200, 201, 400, 422)) for o in orders),
        return_exceptions=True,
    )
    storm_seconds = time.perf_counter() - storm_started
    paid: list[str] = []
    authorisations: dict[str, str] = {}  # order id -> its transaction, for the admin to capture
    refused = 0
    for order_id, answer in zip(orders, answers, strict=True):
        if isinstance(answer, BaseException):
            recorder.failed(f"hot product payment: {type(answer).__name__}: {answer}")
        elif answer.status_code in (200, 201):
            paid.append(order_id)
            authorisations[order_id] = answer.json()["data"]["id"]
            continue
        elif answer.json()["errors"][0]["title"] in STOCK_ERRORS:
            refused += 1
        else:
            recorder.failed(f"hot product payment refused for another reason: {answer.text[:300]}")
        completions.forget(order_id)
    if len(paid) != settings.hot_stock:
        recorder.failed(f"hot product: {len(paid)} payments taken for a stock of {settings.hot_stock}")

    async def complete(order_id: str) -> None:
        try:
            await admin_storefront.capture(order_id, authorisations[order_id])
            await completions.wait(order_id, settings.complete_timeout)
        except (NotCompleted, UnexpectedResponse, aiohttp.ClientError, TimeoutError) as exc:
            recorder.failed(f"hot product order: {exc}")

    await asyncio.gather(*(complete(order_id) for order_id in paid))
    stock = (await admin_storefront.stock(product_id)).json()["data"]
    if (stock["allocated"], stock["available"]) != (len(paid), settings.hot_stock - len(paid)):
        recorder.failed(f"hot product stock after the storm: {stock}")
    return {
        "shoppers": settings.hot_shoppers,
        "stock": settings.hot_stock,
        "orders": len(orders),
        "paid": len(paid),
        "refused_with_stock_error": refused,
        "payment_storm_seconds": round(storm_seconds, 2),
        "payments_per_second": round(len(orders) / storm_seconds, 1) if storm_seconds else 0.0,
        "stock_after": {k: stock[k] for k in ("total", "allocated", "available")},
    }
