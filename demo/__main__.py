"""Walk the seed's checkout workflow against the running stack and show what changed after each step.

Run `make start` first (or point EP_URL at a running gateway). Uses the admin credentials from
CLIENT_ID / CLIENT_SECRET (the development defaults otherwise). `-v` (`make demo DEMO_ARGS=-v`) prints
each request as it is answered (method, path, status), to follow along by hand or with curl.
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

from demo.sample import ADDRESS
from shared.settings import DEV_CLIENT_ID, DEV_CLIENT_SECRET

URL = os.environ.get("EP_URL", f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8080')}")
CLIENT_ID = os.environ.get("CLIENT_ID", DEV_CLIENT_ID)
CLIENT_SECRET = os.environ.get("CLIENT_SECRET", DEV_CLIENT_SECRET)


async def print_request(response: httpx.Response) -> None:
    """With -v: each request the demo makes, once answered (a retried one shows every try)."""
    print(f"    {response.request.method} {response.request.url.path} -> {response.status_code}")


async def client(admin: bool, verbose: bool) -> httpx.AsyncClient:
    hooks = {"response": [print_request]} if verbose else {}
    c = httpx.AsyncClient(base_url=URL, timeout=30, event_hooks=hooks)
    form = {"grant_type": "implicit", "client_id": CLIENT_ID}
    if admin:
        form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    token = (await c.post("/oauth/access_token", data=form)).raise_for_status().json()["access_token"]
    c.headers["Authorization"] = f"Bearer {token}"
    return c


def ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        request = response.request
        sys.exit(f"{request.method} {request.url.path} -> {response.status_code}: {response.text}")
    body: dict[str, Any] = response.json() if response.content else {}
    return body


async def until(read: Any, check: Any, seconds: float = 10) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = await read()
        if check(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


async def show(step: str, admin: httpx.AsyncClient, order_id: str | None, product_id: str) -> None:
    stock = ok(await admin.get(f"/v2/inventories/{product_id}"))["data"]
    line = f"stock total={stock['total']} allocated={stock['allocated']} available={stock['available']}"
    if order_id:
        order = ok(await admin.get(f"/v2/orders/{order_id}"))["data"]
        transactions = ok(await admin.get(f"/v2/orders/{order_id}/transactions"))["data"]
        payment = ", ".join(f"{t['transaction_type']}:{t['status']}" for t in transactions) or "none"
        line = (
            f"order status={order['status']} payment={order['payment']} shipping={order['shipping']}"
            f" | transactions {payment} | {line}"
        )
    print(f"\n{step}\n    {line}")


async def main(verbose: bool) -> None:
    admin, shopper = await client(admin=True, verbose=verbose), await client(admin=False, verbose=verbose)
    sku = f"demo-{uuid4().hex[:6]}"
    product = ok(
        await admin.post(
            "/v2/products",
            json={
                "data": {
                    "type": "product",
                    "name": "Deck Shoe",
                    "sku": sku,
                    "manage_stock": True,
                    "price": [{"amount": 5000, "currency": "USD", "includes_tax": False}],
                }
            },
        )
    )["data"]
    ok(await admin.post(f"/v2/inventories/{product['id']}", json={"data": {"quantity": 10}}))
    print(f"Admin set up product {sku} ($50.00, stock managed) with 10 in stock, at {URL}")

    ref = uuid4().hex
    await until(
        lambda: shopper.post(
            f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 2}}
        ),
        lambda r: r.status_code == 201,
    )
    await show(f"1. Added 2 shoes to cart {ref}: the cart exists", admin, None, product["id"])

    ok(
        await shopper.post(
            f"/v2/carts/{ref}/items",
            json={
                "data": {
                    "type": "custom_item",
                    "name": "Shipping",
                    "sku": "ship",
                    "quantity": 1,
                    "price": {"amount": 500, "includes_tax": True},
                }
            },
        )
    )
    items = ok(await shopper.get(f"/v2/carts/{ref}/items"))
    print(
        f"\n2. Managed the cart: {len(items['data'])} lines,"
        f" total {items['meta']['display_price']['with_tax']['formatted']}"
    )

    order = ok(
        await shopper.post(
            f"/v2/carts/{ref}/checkout",
            json={
                "data": {
                    "customer": {"name": "Ron Swanson", "email": "ron@example.com"},
                    "billing_address": ADDRESS,
                }
            },
        )
    )["data"]
    await show(f"3. Checked out: order {order['id']}", admin, order["id"], product["id"])

    transaction = ok(
        await shopper.post(
            f"/v2/orders/{order['id']}/payments", json={"data": {"gateway": "manual", "method": "authorize"}}
        )
    )["data"]
    await until(
        lambda: admin.get(f"/v2/orders/{order['id']}"), lambda r: r.json()["data"]["status"] == "processing"
    )
    await show(
        "4. Paid (manual gateway, authorize): processing; stock allocated", admin, order["id"], product["id"]
    )

    ok(await admin.post(f"/v2/orders/{order['id']}/transactions/{transaction['id']}/capture"))
    await until(
        lambda: admin.get(f"/v2/orders/{order['id']}"), lambda r: r.json()["data"]["status"] == "complete"
    )
    await show("5. Captured by the admin: complete (but not shipped)", admin, order["id"], product["id"])

    ok(
        await admin.put(
            f"/v2/orders/{order['id']}", json={"data": {"type": "order", "shipping": "fulfilled"}}
        )
    )
    await until(
        lambda: admin.get(f"/v2/inventories/{product['id']}"), lambda r: r.json()["data"]["total"] == 8
    )
    await show("6. Flagged fulfilled after shipping: stock decremented", admin, order["id"], product["id"])
    await admin.aclose()
    await shopper.aclose()


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
