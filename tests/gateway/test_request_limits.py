"""What nginx refuses before any service sees it: too large a URI, header or body, or a request it
cannot parse. Each refusal is an Elastic Path error document, never nginx's HTML page.

Raw sockets where a client library would tidy the request up (a NUL in the path, a broken request
line); stand-in upstreams that count what reached them, so "refused at the gateway" is checked too.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack.ports import LOOPBACK
from devstack.processes import ManagedProcess
from tests.gateway.support import EchoUpstream, assert_ep_error, gateway_before_echoes

KB = 1024


@dataclass
class Gateway:
    url: str
    port: int
    upstreams: dict[str, EchoUpstream]
    process: ManagedProcess

    def reached(self) -> int:
        return sum(len(upstream.seen) for upstream in self.upstreams.values())


@pytest.fixture(scope="module")
async def gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    work = Path(tmp_path_factory.mktemp("gateway-limits"))
    names = ("cart", "order", "payment", "inventory")
    async with gateway_before_echoes(work, names) as (url, upstreams, process):
        yield Gateway(url, int(url.rsplit(":", 1)[1]), upstreams, process)


@pytest.fixture
async def client(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10, trust_env=False) as http:
        yield http


async def raw_exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as is; the status, headers and body of the answer (nginx closes after it)."""
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def assert_json_ep_error(headers: dict[str, str], body: bytes, status: int, title: str) -> dict[str, object]:
    assert headers["content-type"] == "application/json", headers
    assert "x-correlation-id" in headers, headers
    return assert_ep_error(json.loads(body), status, title)


async def test_a_uri_over_8_kb_is_an_ep_414(client: httpx.AsyncClient, gateway: Gateway):
    fits = await client.get("/v2/products", params={"filter": "x" * (7 * KB)})
    assert fits.status_code == 200

    before = gateway.reached()
    refused = await client.get("/v2/products", params={"filter": "x" * (9 * KB)})
    assert refused.status_code == 414
    assert_json_ep_error(dict(refused.headers), refused.content, 414, "URI Too Long")
    assert gateway.reached() == before


async def test_a_header_over_8_kb_is_an_ep_431(client: httpx.AsyncClient, gateway: Gateway):
    fits = await client.get("/v2/products", headers={"Authorization": "Bearer " + "t" * (7 * KB)})
    assert fits.status_code == 200

    before = gateway.reached()
    refused = await client.get("/v2/products", headers={"Authorization": "Bearer " + "t" * (9 * KB)})
    assert refused.status_code == 431
    error = assert_json_ep_error(
        dict(refused.headers), refused.content, 431, "Request Header Fields Too Large"
    )
    assert "8 KB" in str(error["detail"])
    assert gateway.reached() == before


async def test_headers_over_32_kb_together_are_an_ep_431(client: httpx.AsyncClient, gateway: Gateway):
    three = {f"X-Filler-{i}": "f" * (7 * KB) for i in range(3)}
    assert (await client.get("/v2/products", headers=three)).status_code == 200

    before = gateway.reached()
    six = {f"X-Filler-{i}": "f" * (7 * KB) for i in range(6)}  # each fits, together they do not
    refused = await client.get("/v2/products", headers=six)
    assert refused.status_code == 431
    assert_json_ep_error(dict(refused.headers), refused.content, 431, "Request Header Fields Too Large")
    assert gateway.reached() == before


@pytest.mark.parametrize(
    "request_line",
    [
        b"GET /v2/carts/a%00b HTTP/1.1",  # a NUL: nginx refuses it while reading the request line
        b"GET /v2/products HTTP/1.1 extra",
        b"GET v2/products HTTP/1.1",
    ],
)
async def test_a_request_nginx_cannot_parse_is_an_ep_400(gateway: Gateway, request_line: bytes):
    before = gateway.reached()
    status, headers, body = await raw_exchange(gateway.port, request_line + b"\r\nHost: gw\r\n\r\n")
    assert status == 400
    assert_json_ep_error(headers, body, 400, "Bad Request")
    assert gateway.reached() == before


async def test_a_header_nginx_cannot_parse_is_an_ep_400(gateway: Gateway):
    status, headers, body = await raw_exchange(
        gateway.port, b"GET /v2/products HTTP/1.1\r\nHost: gw\r\nBroken header without colon\r\n\r\n"
    )
    assert status == 400
    assert_json_ep_error(headers, body, 400, "Bad Request")


@pytest.mark.parametrize(
    ("method", "path", "owner"),
    [
        ("POST", "/oauth/access_token", "cart"),
        ("POST", "/v2/orders/o-1/payments", "payment"),
        ("POST", "/v2/orders/o-1/transactions/t-1/refund", "payment"),
        ("PUT", "/v2/orders/o-1", "order"),
    ],
)
async def test_small_body_routes_refuse_over_16_kb(
    client: httpx.AsyncClient, gateway: Gateway, method: str, path: str, owner: str
):
    upstream = gateway.upstreams[owner]
    fits = await client.request(method, path, content=b"x" * (16 * KB))
    assert fits.status_code == 200
    assert upstream.seen[-1].body_length == 16 * KB

    before = gateway.reached()
    refused = await client.request(method, path, content=b"x" * (16 * KB + 1))
    assert refused.status_code == 413
    error = assert_json_ep_error(dict(refused.headers), refused.content, 413, "Payload Too Large")
    assert "16 KB" in str(error["detail"])
    assert gateway.reached() == before


@pytest.mark.parametrize(
    ("path", "owner"),
    [("/v2/products", "cart"), ("/v2/webhooks/stripe", "payment"), ("/v2/inventories/multiple", "inventory")],
)
async def test_catalogue_cart_and_webhook_routes_take_1_mb(
    client: httpx.AsyncClient, gateway: Gateway, path: str, owner: str
):
    fits = await client.post(path, content=b"x" * (1024 * KB))
    assert fits.status_code == 200
    assert gateway.upstreams[owner].seen[-1].body_length == 1024 * KB
    refused = await client.post(path, content=b"x" * (1024 * KB + 1))
    assert refused.status_code == 413
    error = assert_json_ep_error(dict(refused.headers), refused.content, 413, "Payload Too Large")
    assert "1 MB" in str(error["detail"])


async def test_gateway_errors_are_not_reachable_as_paths(client: httpx.AsyncClient):
    """The error pages are internal locations: asking for one directly is an ordinary 404."""
    response = await client.get("/_gateway/errors/500")
    assert response.status_code == 404
    assert_ep_error(response.json(), 404, "Not Found")
