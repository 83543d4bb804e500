"""An in-process app built the way every service builds one, and a client that talks ASGI to it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from shared.auth import token_router
from shared.http.app import create_app
from shared.logging import JsonFormatter
from shared.settings import ServiceSettings

CLIENT_ID = "store-client"
CLIENT_SECRET = "store-secret-value"
JWT_SECRET = "unit-test-jwt-secret-" + "x" * 24


def make_settings(**overrides: object) -> ServiceSettings:
    values: dict[str, object] = {
        "service_name": "unit",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "jwt_secret": JWT_SECRET,
    }
    return ServiceSettings.model_validate({**values, **overrides})


def make_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or make_settings()
    app = create_app(settings, title="unit")
    app.include_router(token_router(settings))
    return app


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://unit")


@pytest.fixture
def settings() -> ServiceSettings:
    return make_settings()


@pytest.fixture
def app(settings: ServiceSettings) -> FastAPI:
    return make_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


def only_error(response: httpx.Response, status: int) -> dict[str, object]:
    """The single EP error object of a response, after checking the shape around it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["errors"] and len(body["errors"]) == 1, body
    error: dict[str, object] = body["errors"][0]
    assert error["status"] == status and isinstance(error["title"], str) and error["title"]
    assert None not in error.values(), "optional members are left out, not sent as null"
    return error


class JsonLines(logging.Handler):
    """Formats each record as it is emitted (inside the request's context), as production does."""

    def __init__(self, service: str = "unit") -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter(service))
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(orjson.loads(self.format(record)))


@pytest.fixture
def json_lines() -> Iterator[JsonLines]:
    """Every JSON line logged anywhere during the test."""
    handler = JsonLines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)
