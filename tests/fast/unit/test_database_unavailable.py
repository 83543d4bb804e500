"""A request that loses the database answers 503 with Retry-After, not 500 (found by the chaos
suite: during a PostgreSQL restart payments answered 500, which storefronts do not retry)."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, FastAPI

from tests.fast.unit.conftest import only_error

LOST = {
    "closed": asyncpg.InterfaceError("connection is closed"),
    "starting": asyncpg.CannotConnectNowError("the database system is starting up"),
    "shutdown": asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    "refused": ConnectionRefusedError(111, "Connect call failed"),
    "gone": asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
}


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    router = APIRouter()

    @router.post("/lose/{how}")
    async def lose(how: str) -> None:
        raise LOST[how]

    app.include_router(router)
    return app


@pytest.mark.parametrize("how", sorted(LOST))
async def test_a_lost_database_is_a_retryable_503(client: httpx.AsyncClient, how: str) -> None:
    response = await client.post(f"/lose/{how}")
    error = only_error(response, 503)
    assert error["title"] == "Service Unavailable"
    assert response.headers["retry-after"] == "1"


async def test_other_crashes_stay_500(client: httpx.AsyncClient, app: FastAPI) -> None:
    @app.get("/crash")
    async def crash() -> None:
        raise asyncpg.UniqueViolationError("duplicate key")

    assert (await client.get("/crash")).status_code == 500
