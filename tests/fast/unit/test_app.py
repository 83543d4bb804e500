"""The app every service starts from: health probes, correlation ids, raw query strings."""

from __future__ import annotations

import asyncio
import logging
import uuid

import httpx
import orjson
import pytest
from fastapi import APIRouter, FastAPI, Request

from shared.http.app import create_app
from shared.http.health import health_router
from shared.http.responses import JsonResponse
from shared.tracing import correlation_id_var
from tests.fast.unit.conftest import JsonLines, client_for, make_settings


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    router = APIRouter()

    @router.get("/v2/orders")
    async def orders(request: Request) -> dict[str, object]:
        return {"query": dict(request.query_params), "correlation_id": correlation_id_var.get()}

    app.include_router(router)
    return app


def test_the_app_keeps_its_settings_and_renders_with_orjson() -> None:
    settings = make_settings()
    app = create_app(settings, title="unit")
    assert app.state.settings is settings
    assert app.router.default_response_class is JsonResponse


async def test_liveness_names_the_service(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok", "service": "unit"}


async def database() -> None:
    return None


async def broker() -> None:
    raise ConnectionError("no brokers available")


async def slow() -> None:
    await asyncio.sleep(10)


async def test_readiness_passes_when_every_check_does() -> None:
    app = create_app(make_settings(), title="unit", checks={"database": database})
    async with client_for(app) as client:
        ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "service": "unit", "checks": {"database": "ok"}, "failed": {}}


async def test_readiness_is_503_naming_what_failed() -> None:
    app = create_app(make_settings(), title="unit", checks={"database": database, "broker": broker})
    async with client_for(app) as client:
        unready = await client.get("/ready")
    assert unready.status_code == 503
    assert unready.json() == {
        "status": "unready",
        "service": "unit",
        "checks": {"database": "ok", "broker": "ConnectionError: no brokers available"},
        "failed": {"broker": "ConnectionError: no brokers available"},
    }


async def test_a_hanging_check_times_out_and_late_checks_count_too() -> None:
    app = FastAPI()
    app.include_router(health_router("unit", {"database": database}, timeout=0.05))
    app.state.readiness_checks = {"kafka": slow}  # added once the runtime has started
    async with client_for(app) as client:
        unready = await client.get("/ready")
    assert unready.status_code == 503
    assert unready.json()["failed"] == {"kafka": "timed out after 0.05s"}


async def test_the_correlation_id_is_taken_from_the_request_and_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/v2/orders", headers={"X-Correlation-ID": "abc-123"})
    assert response.headers["x-correlation-id"] == "abc-123"
    assert response.json()["correlation_id"] == "abc-123"
    assert correlation_id_var.get() is None, "the id does not leak out of the request"


async def test_a_correlation_id_is_made_up_when_missing_or_unusable(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"X-Correlation-ID": "x" * 500}, {"X-Correlation-ID": "evil\tvalue"}):
        response = await client.get("/v2/orders", headers=headers)
        made_up = response.headers["x-correlation-id"]
        assert uuid.UUID(made_up) and response.json()["correlation_id"] == made_up
    error = await client.get("/v2/nowhere", headers={"X-Correlation-ID": "on-errors-too"})
    assert error.status_code == 404 and error.headers["x-correlation-id"] == "on-errors-too"


async def test_requests_log_under_their_correlation_id(
    client: httpx.AsyncClient, app: FastAPI, json_lines: JsonLines
) -> None:
    @app.get("/v2/logged")
    async def logged() -> dict[str, str]:
        logging.getLogger("unit.route").info("handling", extra={"cart_id": "c-1"})
        return {}

    await client.get("/v2/logged", headers={"X-Correlation-ID": "corr-42"})
    [line] = [line for line in json_lines.lines if line["logger"] == "unit.route"]
    assert line["correlation_id"] == "corr-42" and line["cart_id"] == "c-1" and line["msg"] == "handling"


@pytest.mark.parametrize(
    "query",
    [
        "sort=-created_at&page[limit]=10&page[offset]=20&filter=eq(status,complete):eq(payment,paid)",
        "sort=-created_at&page%5Blimit%5D=10&page%5Boffset%5D=20&filter=eq%28status%2Ccomplete%29%3Aeq%28payment%2Cpaid%29",
    ],
)
async def test_query_strings_arrive_raw_or_encoded(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/v2/orders?{query}")
    assert response.status_code == 200
    assert response.json()["query"] == {
        "sort": "-created_at",
        "page[limit]": "10",
        "page[offset]": "20",
        "filter": "eq(status,complete):eq(payment,paid)",
    }


async def test_the_raw_bytes_reach_the_app_unencoded(app: FastAPI) -> None:
    """httpx could re-encode; speak ASGI directly to be sure the app sees what the SDK sends."""
    raw = b"include=items,promotions&page[limit]=10"
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v2/orders",
        "raw_path": b"/v2/orders",
        "query_string": raw,
        "root_path": "",
        "headers": [(b"host", b"unit"), (b"content-type", b"application/json")],
        "server": ("unit", 80),
        "client": ("127.0.0.1", 1),
    }
    await app(scope, receive, send)  # type: ignore[arg-type]

    assert sent[0]["status"] == 200
    body = orjson.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))  # type: ignore[misc]
    assert body["query"] == {"include": "items,promotions", "page[limit]": "10"}
