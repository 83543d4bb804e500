"""The role checks routes declare: any token, admin only, and the optional customer token."""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from shared.auth import (
    AdminToken,
    AnyToken,
    CustomerToken,
    OptionalCustomer,
    issue_customer_token,
    issue_token,
    optional_customer_dependency,
    require_admin,
    require_customer,
    require_token,
)
from shared.http.openapi import BEARER, documented
from shared.settings import ServiceSettings
from tests.fast.unit.conftest import CLIENT_ID, only_error


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    router = APIRouter()

    @router.get("/v2/anyone")
    async def anyone(principal: AnyToken) -> dict[str, object]:
        return {"grant": principal.grant_type, "admin": principal.is_admin}

    @router.post("/v2/admin-only")
    async def admin_only(principal: AdminToken) -> dict[str, object]:
        return {"grant": principal.grant_type}

    @router.get("/v2/maybe-customer")
    async def maybe_customer(_: AnyToken, customer: OptionalCustomer) -> dict[str, object]:
        return {"customer": customer.customer_id if customer else None}

    @router.get("/v2/customer")
    async def customer_only(_: AnyToken, customer: CustomerToken) -> dict[str, object]:
        return {"customer": customer.customer_id}

    app.include_router(router)
    app.include_router(documented_router())
    return app


def documented_router() -> APIRouter:
    """A route as services declare them: `documented(auth=...)` and the token dependencies."""
    router = APIRouter()

    @router.get("/v2/documented", **documented(auth="admin", answers="Done"))
    async def documented_route(_: AnyToken, __: AdminToken, customer: OptionalCustomer) -> dict[str, object]:
        return {"customer": customer.customer_id if customer else None}

    return router


def bearer(settings: ServiceSettings, grant: str) -> dict[str, str]:
    token = issue_token(grant, CLIENT_ID, settings)["access_token"]  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


async def test_any_valid_token_may_call_a_shopper_route(
    client: httpx.AsyncClient, settings: ServiceSettings
) -> None:
    shopper = await client.get("/v2/anyone", headers=bearer(settings, "implicit"))
    admin = await client.get("/v2/anyone", headers=bearer(settings, "client_credentials"))
    assert shopper.json() == {"grant": "implicit", "admin": False}
    assert admin.json() == {"grant": "client_credentials", "admin": True}


async def test_an_admin_route_refuses_a_shopper_token_with_403(
    client: httpx.AsyncClient, settings: ServiceSettings
) -> None:
    error = only_error(await client.post("/v2/admin-only", headers=bearer(settings, "implicit")), 403)
    assert error["title"] == "Forbidden" and "client_credentials" in str(error["detail"])
    allowed = await client.post("/v2/admin-only", headers=bearer(settings, "client_credentials"))
    assert allowed.status_code == 200 and allowed.json() == {"grant": "client_credentials"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer   "},
        {"Authorization": "Basic c3RvcmU6c2VjcmV0"},
        {"Authorization": "Bearer not-a-jwt"},
    ],
)
@pytest.mark.parametrize("path", ["/v2/anyone", "/v2/admin-only"])
async def test_a_missing_or_invalid_token_is_401(
    client: httpx.AsyncClient, headers: dict[str, str], path: str
) -> None:
    response = await client.request("GET" if path == "/v2/anyone" else "POST", path, headers=headers)
    assert only_error(response, 401)["title"] == "Unable to validate access token"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_the_bearer_scheme_is_case_insensitive(
    client: httpx.AsyncClient, settings: ServiceSettings
) -> None:
    token = bearer(settings, "implicit")["Authorization"].split(" ", 1)[1]
    assert (await client.get("/v2/anyone", headers={"Authorization": f"bearer {token}"})).status_code == 200


async def test_the_customer_token_header_scopes_a_request(
    client: httpx.AsyncClient, settings: ServiceSettings
) -> None:
    shopper = bearer(settings, "implicit")
    token, _ = issue_customer_token("cust-7", settings)
    without = await client.get("/v2/maybe-customer", headers=shopper)
    assert without.json() == {"customer": None}
    with_token = await client.get("/v2/maybe-customer", headers={**shopper, "X-Moltin-Customer-Token": token})
    assert with_token.json() == {"customer": "cust-7"}
    bad = await client.get("/v2/maybe-customer", headers={**shopper, "X-Moltin-Customer-Token": "nope"})
    assert "customer token" in str(only_error(bad, 401)["detail"])
    required = await client.get("/v2/customer", headers=shopper)
    assert "X-Moltin-Customer-Token" in str(only_error(required, 401)["detail"])
    lowercase = await client.get("/v2/customer", headers={**shopper, "x-moltin-customer-token": token})
    assert lowercase.json() == {"customer": "cust-7"}


def _calls(dependant: Any) -> list[Any]:
    return [call for sub in dependant.dependencies for call in (sub.call, *_calls(sub))]


def test_the_dependencies_are_coroutines_so_fastapi_keeps_them_off_the_thread_pool() -> None:
    """FastAPI sends a plain `def` dependency to its thread pool: ~120 µs of CPU a request."""
    for dependency in (require_token, require_admin, require_customer, optional_customer_dependency):
        assert inspect.iscoroutinefunction(dependency), dependency
    assert inspect.iscoroutinefunction(BEARER.__call__)
    (route,) = [r for r in documented_router().routes if isinstance(r, APIRoute)]
    calls = _calls(route.dependant)
    assert BEARER in calls and require_admin in calls and optional_customer_dependency in calls
    for call in calls:
        assert inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(call.__call__), call


async def test_a_documented_route_declares_the_bearer_scheme_without_reading_the_header(
    client: httpx.AsyncClient, settings: ServiceSettings, app: FastAPI
) -> None:
    operation = app.openapi()["paths"]["/v2/documented"]["get"]
    assert operation["security"] == [{"bearerToken": []}]
    assert app.openapi()["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    assert not inspect.signature(BEARER).parameters  # FastAPI hands it nothing to read
    error = only_error(await client.get("/v2/documented", headers=bearer(settings, "implicit")), 403)
    assert "client_credentials" in str(error["detail"])
    admin = await client.get("/v2/documented", headers=bearer(settings, "client_credentials"))
    assert admin.json() == {"customer": None}
