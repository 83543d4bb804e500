"""A client's `Host` header never reaches the links a service hands out (issue 22, point 7, L2).

Behind the gateway `Host` is whatever the client sent; paging links were built from the request's
URL, so `Host: evil.example` made `links.current` point at another site. Links are built on the
public base URL (PUBLIC_BASE_URL, which the devstack sets to the gateway's address)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest

from devstack.stack import Stack
from tests.security.responsiveness import assert_stayed_responsive, latencies_during, usual_latency
from tests.support.services import ADMIN_ID, ADMIN_SECRET

ATTEMPTS = 40
"""Listings asked for with a forged `Host` while an unrelated read is timed."""


@pytest.fixture(scope="module")
async def gateway(gateway_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway_stack.gateway_url, timeout=30, trust_env=False) as client:
        yield client


@pytest.mark.parametrize("path", ["/v2/products", "/v2/orders", "/v2/promotions", "/v2/inventories"])
async def test_paging_links_point_at_the_public_entry_point_whatever_the_host_header(
    gateway: httpx.AsyncClient, gateway_stack: Stack, path: str
) -> None:
    token = await gateway.post(
        "/oauth/access_token",
        data={"grant_type": "client_credentials", "client_id": ADMIN_ID, "client_secret": ADMIN_SECRET},
    )
    assert token.status_code == 200, token.text
    admin = {"Authorization": f"Bearer {token.json()['access_token']}"}

    cart = f"/v2/carts/{uuid4().hex}/items"

    async def read() -> None:  # a cart's items, unrelated to the listing attacked
        answer = await gateway.get(cart, headers=admin)
        assert answer.status_code == 200, answer.text

    async def attack() -> list[httpx.Response]:
        forged = {**admin, "Host": "evil.example"}
        return [await gateway.get(f"{path}?page[limit]=1", headers=forged) for _ in range(ATTEMPTS)]

    usual = await usual_latency(read)
    answers, during = await latencies_during(attack(), read)

    for listed in answers:
        assert listed.status_code == 200, listed.text
        links = listed.json()["links"]
        assert links["current"] == f"{gateway_stack.gateway_url}{path}?page[offset]=0&page[limit]=1", links
        assert "evil.example" not in listed.text
    assert_stayed_responsive(usual, during)
