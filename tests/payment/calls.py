"""The Elastic Path calls of the tests, as the SDK makes them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.support.services import authenticated_client


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


@asynccontextmanager
async def client_of(base_url: str, *, admin: bool) -> AsyncIterator[httpx.AsyncClient]:
    """An authenticated client for a service that may be restarted between uses."""
    client = await authenticated_client(base_url, admin=admin)
    try:
        yield client
    finally:
        await client.aclose()
