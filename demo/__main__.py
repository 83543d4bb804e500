"""Walk the seed's checkout workflow against the running stack and show what changed after each step.

Run `make start` first (or point EP_URL at a running gateway). Uses the admin credentials from
CLIENT_ID / CLIENT_SECRET (the development defaults otherwise). `-v` (`make demo DEMO_ARGS=-v`) prints
each request as it is answered (method, path, status), to follow along by hand or with curl.
The requests are the platform's storefront client's (`checkout_platform.storefront`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from typing import Any
from uuid import uuid4

import httpx

from checkout_platform.storefront.client import Storefront, UnexpectedResponse
from checkout_platform.storefront.httpx_transports import HttpxTransport
from checkout_platform.storefront.sample import CUSTOMER
from shared.settings import DEV_CLIENT_ID, DEV_CLIENT_SECRET

URL = os.environ.get("EP_URL", f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8080')}")
CLIENT_ID = os.environ.get("CLIENT_ID", DEV_CLIENT_ID)
CLIENT_SECRET = os.environ.get("CLIENT_SECRET", DEV_CLIENT_SECRET)
SHIPPING = {"name": "Shipping", "sku": "ship", "price": {"amount": 500, "includes_tax": True}}

Shop = Storefront[HttpxTransport]


async def print_request(response: httpx.Response) -> None:
    """With -v: each request the demo makes, once answered (a retried one shows every try)."""
    print(f"    {response.request.method} {response.request.url.path} -> {response.status_code}")


async def storefront(admin: bool, verbose: bool) -> Shop:
    hooks = {"response": [print_request]} if verbose else {}
    shop = Storefront(HttpxTransport(httpx.AsyncClient(base_url=URL, timeout=30, event_hooks=hooks)))
    token = await shop.token(CLIENT_ID, CLIENT_SECRET if admin else None)
    shop.transport.client.headers["Authorization"] = f"Bearer {token}"
    return shop


async def until(read: Any, check: Any, seconds: float = 10) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = await read()
        if check(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


async def show(step: str, admin: Shop, order_id: str | None, product_id: str) -> None:
    stock = (await admin.stock(product_id)).json()["data"]
    line = f"stock total={stock['total']} allocated={stock['allocated']} available={stock['available']}"
    if order_id:
        order = (await admin.order(order_id)).json()["data"]
        transactions = (await admin.transactions(order_id)).json()["data"]
        payment = ", ".join(f"{t['transaction_type']}:{t['status']}" for t in transactions) or "none"
        line = (
            f"order status={order['status']} payment={order['payment']} shipping={order['shipping']}"
            f" | transactions {payment} | {line}"
        )
    print(f"\n{step}\n    {line}")


async def main(verbose: bool) -> None:
    admin, shopper = (
        await storefront(admin=True, verbose=verbose),
        await storefront(admin=False, verbose=verbose),
    )
    sku = f"demo-{uuid4().hex[:6]}"
    product = (await admin.create_product(sku, "Deck Shoe", {"USD": 5000}, manage_stock=True)).json()["data"]
    await admin.set_stock(product["id"], 10)
    print(f"Admin set up product {sku} ($50.00, stock managed) with 10 in stock, at {URL}")

    ref = uuid4().hex
    await until(lambda: shopper.add_item(ref, product["id"], 2, expect=None), lambda r: r.status_code == 201)
    await show(f"1. Added 2 shoes to cart {ref}: the cart exists", admin, None, product["id"])

    await shopper.add_custom_item(ref, SHIPPING)
    items = (await shopper.cart_items(ref)).json()
    print(
        f"\n2. Managed the cart: {len(items['data'])} lines,"
        f" total {items['meta']['display_price']['with_tax']['formatted']}"
    )

    order = (await shopper.check_out(ref, CUSTOMER)).json()["data"]
    await show(f"3. Checked out: order {order['id']}", admin, order["id"], product["id"])

    transaction = (await shopper.pay_manually(order["id"], "authorize")).json()["data"]
    await until(lambda: admin.order(order["id"]), lambda r: r.json()["data"]["status"] == "processing")
    await show(
        "4. Paid (manual gateway, authorize): processing; stock allocated", admin, order["id"], product["id"]
    )

    await admin.capture(order["id"], transaction["id"])
    await until(lambda: admin.order(order["id"]), lambda r: r.json()["data"]["status"] == "complete")
    await show("5. Captured by the admin: complete (but not shipped)", admin, order["id"], product["id"])

    await admin.update_order(order["id"], {"shipping": "fulfilled"})
    await until(lambda: admin.stock(product["id"]), lambda r: r.json()["data"]["total"] == 8)
    await show("6. Flagged fulfilled after shipping: stock decremented", admin, order["id"], product["id"])
    await admin.transport.client.aclose()
    await shopper.transport.client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="print each request: method, path, status"
    )
    arguments = parser.parse_args()
    try:
        asyncio.run(main(arguments.verbose))
    except httpx.ConnectError:
        sys.exit(f"Nothing answers at {URL}: start the stack with `make start` first.")
    except UnexpectedResponse as refused:
        sys.exit(str(refused))
