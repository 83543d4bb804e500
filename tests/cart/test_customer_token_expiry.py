"""A customer token past its `expires` is refused with a 401 that says so: proven on a cart service
whose tokens live 10 s (CUSTOMER_TOKEN_TTL_SECONDS), once the token's own `expires` has passed on
the clock. (The 24 hours of Elastic Path's lifetime: test_customer_token_lifetime.py.)"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.cart.registered_customers import claims, registered


@pytest.fixture(scope="module")
def service_env() -> dict[str, str]:
    return {"CUSTOMER_TOKEN_TTL_SECONDS": "10"}


async def test_an_expired_customer_token_is_refused(shopper: httpx.AsyncClient) -> None:
    ron = await registered(shopper, "Ron Swanson")
    expires = int(claims(ron.token)["exp"])  # type: ignore[call-overload]
    assert (await shopper.get(f"/v2/customers/{ron.id}", headers=ron.headers)).status_code == 200
    await asyncio.sleep(max(0.0, expires - time.time()) + 1.1)  # until the clock is past `expires`
    refused = await shopper.get(f"/v2/customers/{ron.id}", headers=ron.headers)
    assert refused.status_code == 401, refused.text
    error = refused.json()["errors"][0]
    assert error["status"] == 401 and "expired" in error["detail"]
    addresses = await shopper.get(f"/v2/customers/{ron.id}/addresses", headers=ron.headers)
    assert addresses.status_code == 401
