"""The Elastic Path calls of the tests, as the SDK makes them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.clients import client_of

STRIPE = "stripe_payment_intents"


async def pay(client: httpx.AsyncClient, order_id: str, **data: Any) -> httpx.Response:
    return await client.post(f"/v2/orders/{order_id}/payments", json={"data": data})


async def transaction_action(
    client: httpx.AsyncClient, order_id: str, transaction_id: str, action: str, data: Any = None
) -> httpx.Response:
    """`capture`, `refund`, `cancel` or `confirm`; no `data` sends no body (as `Transactions.Capture`)."""
    url = f"/v2/orders/{order_id}/transactions/{transaction_id}/{action}"
    if data is None:
        return await client.post(url, headers={"Content-Type": "application/json"})
    return await client.post(url, json={"data": data})


async def transactions(client: httpx.AsyncClient, order_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v2/orders/{order_id}/transactions")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


def error(response: httpx.Response) -> dict[str, Any]:
    """The first Elastic Path error of a response."""
    errors: list[dict[str, Any]] = response.json()["errors"]
    return errors[0]


async def stripe_authorization(base_url: str, order_id: str) -> dict[str, Any]:
    """A shopper's authorisation of what the order owes, with Stripe's test card: its transaction,
    where a test goes on to capture, refund or void it."""
    async with client_of(base_url, admin=False) as shopper:
        authorized = await pay(shopper, order_id, gateway=STRIPE, method="authorize", payment="pm_card_visa")
    assert authorized.status_code == 200, authorized.text
    txn: dict[str, Any] = authorized.json()["data"]
    return txn
