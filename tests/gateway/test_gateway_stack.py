"""Through the public entry point: real nginx in front of the real services, Kafka and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from devstack.apps import GATEWAY, SERVICES
from devstack.stack import Stack
from tests.gateway.support import access_logged, assert_ep_error, start_gateway
from tests.support.services import ADMIN_ID, ADMIN_SECRET


@pytest.fixture(scope="module")
async def gateway(gateway_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway_stack.gateway_url, timeout=30, trust_env=False) as client:
        yield client


async def _token(client: httpx.AsyncClient, **form: str) -> str:
    response = await client.post("/oauth/access_token", data=form)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


@pytest.fixture(scope="module")
async def admin(gateway: httpx.AsyncClient) -> dict[str, str]:
    token = await _token(
        gateway, grant_type="client_credentials", client_id=ADMIN_ID, client_secret=ADMIN_SECRET
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
async def shopper(gateway: httpx.AsyncClient) -> dict[str, str]:
    token = await _token(gateway, grant_type="implicit", client_id=ADMIN_ID)
    return {"Authorization": f"Bearer {token}"}


def test_every_service_and_the_gateway_run(gateway_stack: Stack):
    assert set(gateway_stack.app_urls) == {*SERVICES, GATEWAY}
    assert all(process.is_running() for process in gateway_stack.apps)


async def test_tokens_come_through_the_gateway(gateway: httpx.AsyncClient, admin: dict[str, str]):
    refused = await gateway.post(
        "/oauth/access_token",
        data={"grant_type": "client_credentials", "client_id": ADMIN_ID, "client_secret": "wrong"},
    )
    assert refused.status_code == 401
    assert (await gateway.get("/v2/products")).status_code == 401
    assert (await gateway.get("/v2/products", headers=admin)).status_code == 200


async def test_a_cart_through_the_gateway(
    gateway: httpx.AsyncClient, admin: dict[str, str], shopper: dict[str, str]
):
    sku = f"gw-{uuid4().hex[:8]}"
    created = await gateway.post(
        "/v2/products",
        headers=admin,
        json={
            "data": {
                "type": "product",
                "name": f"Gateway {sku}",
                "sku": sku,
                "manage_stock": False,
                "price": [{"amount": 1250, "currency": "USD", "includes_tax": False}],
            }
        },
    )
    assert created.status_code == 201, created.text
    ref = f"gw-{uuid4().hex}"
    added = await gateway.post(
        f"/v2/carts/{ref}/items",
        headers=shopper,
        json={"data": {"type": "cart_item", "sku": sku, "quantity": 2}},
    )
    assert added.status_code == 201, added.text
    items = (await gateway.get(f"/v2/carts/{ref}/items", headers=shopper)).json()["data"]
    assert [(item["sku"], item["quantity"]) for item in items] == [(sku, 2)]


async def test_the_sdks_raw_filter_and_paging_reach_the_order_service(
    gateway: httpx.AsyncClient, gateway_stack: Stack, admin: dict[str, str]
):
    target = "/v2/orders?filter=eq(status,incomplete)&page[limit]=10"
    response = await gateway.get(target, headers=admin)
    assert response.request.url.raw_path == target.encode()
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["page"]["limit"] == 10
    access_log = gateway_stack.work_dir / "apps" / GATEWAY / "access.log"
    assert await access_logged(access_log, f'"GET {target} HTTP/1.1" 200')


async def test_an_unknown_path_answers_the_ep_404_from_nginx(gateway: httpx.AsyncClient):
    response = await gateway.get("/v2/flows", headers={"X-Correlation-ID": "gw-404"})
    assert response.status_code == 404
    assert_ep_error(response.json(), 404, "Not Found")
    assert response.headers["x-correlation-id"] == "gw-404"


async def test_a_body_over_one_megabyte_is_refused_with_an_ep_413(
    gateway: httpx.AsyncClient, shopper: dict[str, str]
):
    response = await gateway.post(
        f"/v2/carts/gw-{uuid4().hex}/items",
        headers={**shopper, "Content-Type": "application/json"},
        content=b" " * (2 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert_ep_error(response.json(), 413, "Payload Too Large")


async def test_a_route_to_a_service_that_is_not_running_answers_an_ep_503(
    gateway_stack: Stack, shopper: dict[str, str], tmp_path: Path
):
    """A second gateway in front of the same cart and order services only (as when payment and
    inventory are left out of the stack): their paths answer 503, the others still work."""
    upstreams = {name: gateway_stack.app_urls[name].removeprefix("http://") for name in ("cart", "order")}
    process, url = await start_gateway(tmp_path, upstreams)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30, trust_env=False) as client:
            for path in ("/v2/orders/o-1/payments", "/v2/inventories/p-1"):
                response = await client.post(path, headers=shopper, json={"data": {}})
                assert response.status_code == 503, path
                error = assert_ep_error(response.json(), 503, "Service Unavailable")
                assert "not running" in error["detail"]
            cart = await client.get(f"/v2/carts/gw-{uuid4().hex}", headers=shopper)
            assert cart.status_code == 200, cart.text
    finally:
        process.stop()
