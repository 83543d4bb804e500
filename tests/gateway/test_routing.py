"""The routing table on a real nginx, with stand-in services that report exactly what reached them.

Fast (nginx starts in milliseconds) and precise: which service owns each Elastic Path path, that the
request line and the forwarding headers arrive unchanged, and that nginx's own answers are EP errors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack.ports import LOOPBACK, free_port
from devstack.processes import ManagedProcess
from tests.gateway.support import (
    EchoUpstream,
    access_logged,
    assert_ep_error,
    gateway_before_echoes,
    start_gateway,
)


@dataclass
class FakeStack:
    url: str
    upstreams: dict[str, EchoUpstream]
    work_dir: Path
    process: ManagedProcess


@pytest.fixture(scope="module")
async def fake_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FakeStack]:
    """cart, order and payment answer; inventory does not run (its paths must answer 503)."""
    work = Path(tmp_path_factory.mktemp("gateway"))
    async with gateway_before_echoes(work, ("cart", "order", "payment")) as (url, upstreams, process):
        yield FakeStack(url, upstreams, work, process)


@pytest.fixture
async def client(fake_stack: FakeStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fake_stack.url, timeout=10, trust_env=False) as http:
        yield http


OWNERS = [
    ("POST", "/oauth/access_token", "cart"),
    ("GET", "/v2/carts/ref-1", "cart"),
    ("POST", "/v2/carts", "cart"),
    ("POST", "/v2/carts/ref-1/items", "cart"),
    ("PUT", "/v2/carts/ref-1/items/item-1", "cart"),
    ("POST", "/v2/carts/ref-1/checkout", "cart"),
    ("DELETE", "/v2/carts/ref-1/discounts/CODE", "cart"),
    ("GET", "/v2/products", "cart"),
    ("PUT", "/v2/products/p-1", "cart"),
    ("GET", "/v2/promotions/pr-1/codes", "cart"),
    ("POST", "/v2/customers/tokens", "cart"),
    ("GET", "/v2/customers", "cart"),
    ("GET", "/v2/orders", "order"),
    ("GET", "/v2/orders/o-1", "order"),
    ("PUT", "/v2/orders/o-1", "order"),
    ("GET", "/v2/orders/o-1/items", "order"),
    ("POST", "/v2/orders/o-1/payments", "payment"),
    ("GET", "/v2/orders/o-1/transactions", "payment"),
    ("GET", "/v2/orders/o-1/transactions/t-1", "payment"),
    ("POST", "/v2/orders/o-1/transactions/t-1/capture", "payment"),
    ("POST", "/v2/orders/o-1/transactions/t-1/refund", "payment"),
    ("POST", "/v2/webhooks/stripe", "payment"),
    ("GET", "/v2/gateways", "payment"),
    ("GET", "/v2/gateways/manual", "payment"),
    ("PUT", "/v2/gateways/stripe_payment_intents", "payment"),
]


@pytest.mark.parametrize(("method", "path", "owner"), OWNERS)
async def test_each_path_reaches_its_owner(
    client: httpx.AsyncClient, fake_stack: FakeStack, method: str, path: str, owner: str
):
    response = await client.request(method, path)
    assert response.status_code == 200, response.text
    assert response.json() == {"service": owner, "target": path}


UNKNOWN = [
    "/",
    "/health",
    "/ready",  # the services' own probes, metrics and documents stay on their internal ports
    "/metrics",
    "/openapi.json",
    "/v2",
    "/v2/cartsx",
    "/v2/orders/",
    "/v2/orders/o-1/shipments",
    "/v2/orders/o-1/items/extra",
    "/v2/webhooks/paypal",
    "/oauth/token",
    "/v1/customers",
    "/index.html",  # no MIME type guessed from the extension: still JSON
]


@pytest.mark.parametrize("path", UNKNOWN)
async def test_unknown_paths_answer_an_ep_404_from_nginx(
    client: httpx.AsyncClient, fake_stack: FakeStack, path: str
):
    before = sum(len(u.seen) for u in fake_stack.upstreams.values())
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert_ep_error(response.json(), 404, "Not Found")
    assert sum(len(u.seen) for u in fake_stack.upstreams.values()) == before  # no service was asked


@pytest.mark.parametrize("path", ["/v2/inventories", "/v2/inventories/p-1/transactions"])
async def test_paths_of_a_service_that_does_not_run_answer_an_ep_503(client: httpx.AsyncClient, path: str):
    response = await client.post(path, json={"data": {}})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    error = assert_ep_error(response.json(), 503, "Service Unavailable")
    assert "inventory" in error["detail"]
    assert response.headers["x-correlation-id"]


async def test_the_sdks_raw_query_characters_reach_the_service_unchanged(
    client: httpx.AsyncClient, fake_stack: FakeStack
):
    target = "/v2/orders?filter=eq(status,complete):eq(payment,paid)&page[limit]=10&page[offset]=0&sort=-id"
    response = await client.get(target)
    assert response.request.url.raw_path == target.encode()  # httpx sent the characters raw
    assert response.json() == {"service": "order", "target": target}
    encoded = "/v2/orders?filter=eq%28status%2Ccomplete%29&page%5Blimit%5D=10"
    assert (await client.get(encoded)).json()["target"] == encoded  # and %-encoding is left alone too


async def test_forwarding_headers_and_correlation_id(client: httpx.AsyncClient, fake_stack: FakeStack):
    await client.get("/v2/carts/abc", headers={"X-Correlation-ID": "corr-123"})
    seen = fake_stack.upstreams["cart"].seen[-1]
    host = fake_stack.url.removeprefix("http://")
    assert seen.headers["Host"] == host
    assert seen.headers["X-Forwarded-Host"] == host
    assert seen.headers["X-Forwarded-For"] == LOOPBACK
    assert seen.headers["X-Forwarded-Proto"] == "http"
    assert seen.headers["X-Correlation-ID"] == "corr-123"

    await client.get("/v2/carts/abc")  # none given: nginx's request id, also in the access log
    generated = fake_stack.upstreams["cart"].seen[-1].headers["X-Correlation-ID"]
    assert len(generated) == 32
    assert await access_logged(fake_stack.work_dir / "access.log", f"correlation={generated}")


async def test_upstream_connections_are_kept_alive(client: httpx.AsyncClient, fake_stack: FakeStack):
    order = fake_stack.upstreams["order"]
    first = len(order.seen)
    for _ in range(5):
        await client.get("/v2/orders/o-1")
    peers = {seen.peer_port for seen in order.seen[first:]}
    assert len(peers) == 1, peers  # one connection from nginx carried all five


async def test_bodies_over_one_megabyte_are_refused_with_an_ep_413(
    client: httpx.AsyncClient, fake_stack: FakeStack
):
    cart = fake_stack.upstreams["cart"]
    accepted = await client.post("/v2/carts/ref-1/items", content=b"x" * 1_000_000)
    assert accepted.status_code == 200
    assert cart.seen[-1].body_length == 1_000_000

    before = len(cart.seen)
    refused = await client.post("/v2/carts/ref-1/items", content=b"x" * (1024 * 1024 + 1))
    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/json"
    assert_ep_error(refused.json(), 413, "Payload Too Large")
    assert len(cart.seen) == before


async def test_a_dead_upstream_answers_an_ep_502(tmp_path: Path):
    process, url = await start_gateway(tmp_path, {"cart": f"{LOOPBACK}:{free_port()}"})  # nothing listens
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10, trust_env=False) as http:
            response = await http.get("/v2/products")
        assert response.status_code == 502
        assert response.headers["content-type"] == "application/json"
        assert_ep_error(response.json(), 502, "Bad Gateway")
    finally:
        process.stop()
    assert not process.is_running()


def test_nginx_logs_and_temp_files_stay_in_the_work_dir(fake_stack: FakeStack):
    names = {path.name for path in fake_stack.work_dir.iterdir()}
    assert {"nginx.conf", "nginx.pid", "error.log", "access.log", "nginx.log", "tmp"} <= names
    conf = (fake_stack.work_dir / "nginx.conf").read_text()
    assert "client_max_body_size 1m;" in conf
    assert "daemon" not in conf  # given on the command line, so the compose image's default works too
