"""`POST /oauth/access_token`: both grants at top level, and every way a request can be refused."""

from __future__ import annotations

import time

import httpx
import pytest

from shared.auth import token_router, verify_token
from shared.auth.routes import router
from shared.http.app import create_app
from shared.settings import ServiceSettings
from tests.fast.unit.conftest import CLIENT_ID, CLIENT_SECRET, client_for, make_settings, only_error

ADMIN_FORM = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
SHOPPER_FORM = {"grant_type": "implicit", "client_id": CLIENT_ID}


@pytest.mark.parametrize(("form", "grant"), [(SHOPPER_FORM, "implicit"), (ADMIN_FORM, "client_credentials")])
async def test_a_grant_answers_at_top_level_with_an_absolute_expiry(
    client: httpx.AsyncClient, settings: ServiceSettings, form: dict[str, str], grant: str
) -> None:
    before = int(time.time())
    response = await client.post("/oauth/access_token", data=form)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "expires", "identifier"}
    assert body["token_type"] == "Bearer" and body["identifier"] == grant
    assert body["expires_in"] == 3600
    assert before + 3600 <= body["expires"] <= int(time.time()) + 3600
    assert response.headers["cache-control"] == "no-store"
    principal = verify_token(body["access_token"], settings)
    assert (principal.client_id, principal.grant_type, principal.expires_at) == (
        CLIENT_ID,
        grant,
        body["expires"],
    )


async def test_the_sdk_request_is_form_encoded(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/oauth/access_token",
        content=f"grant_type=implicit&client_id={CLIENT_ID}",
        headers={"content-type": "application/x-www-form-urlencoded", "x-moltin-sdk-language": "JS"},
    )
    assert response.status_code == 200 and response.json()["identifier"] == "implicit"


@pytest.mark.parametrize("body", [ADMIN_FORM, {"data": ADMIN_FORM}])
async def test_a_json_body_works_too(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await client.post("/oauth/access_token", json=body)
    assert response.status_code == 200 and response.json()["identifier"] == "client_credentials"


@pytest.mark.parametrize(
    ("form", "status", "title", "source"),
    [
        ({**ADMIN_FORM, "client_secret": "wrong"}, 401, "Unauthorized", None),
        ({**ADMIN_FORM, "client_secret": CLIENT_SECRET + "x"}, 401, "Unauthorized", None),
        ({**ADMIN_FORM, "client_id": "other-store"}, 401, "Unauthorized", None),
        ({**SHOPPER_FORM, "client_id": "other-store"}, 401, "Unauthorized", None),
        ({"grant_type": "client_credentials", "client_id": CLIENT_ID}, 400, "required", "client_secret"),
        ({"grant_type": "implicit"}, 400, "required", "client_id"),
        ({"grant_type": "client_credentials", "client_secret": CLIENT_SECRET}, 400, "required", "client_id"),
        ({"grant_type": "password", "client_id": CLIENT_ID}, 400, "Bad Request", "grant_type"),
        ({"grant_type": "refresh_token", "client_id": CLIENT_ID}, 400, "Bad Request", "grant_type"),
        ({"client_id": CLIENT_ID}, 400, "required", "grant_type"),
        ({}, 400, "required", "grant_type"),
    ],
)
async def test_bad_token_requests_are_ep_errors(
    client: httpx.AsyncClient, form: dict[str, str], status: int, title: str, source: str | None
) -> None:
    error = only_error(await client.post("/oauth/access_token", data=form), status)
    assert error["title"] == title and error.get("source") == source
    assert CLIENT_SECRET not in str(error)


async def test_malformed_json_token_requests_are_400s(client: httpx.AsyncClient) -> None:
    malformed = await client.post(
        "/oauth/access_token", content=b"{grant_type", headers={"content-type": "application/json"}
    )
    assert only_error(malformed, 400)["detail"] == "Malformed JSON"
    not_an_object = await client.post("/oauth/access_token", json=["implicit"])
    assert only_error(not_an_object, 400)["title"] == "type"


async def test_the_router_can_be_bound_to_its_own_settings() -> None:
    """`token_router(settings)` issues with those settings even if the app holds others."""
    app = create_app(make_settings(), title="unit")
    app.include_router(token_router(make_settings(client_id="other-store", token_ttl_seconds=60)))
    async with client_for(app) as client:
        response = await client.post("/oauth/access_token", data={**SHOPPER_FORM, "client_id": "other-store"})
    assert response.status_code == 200 and response.json()["expires_in"] == 60


async def test_without_settings_the_router_uses_the_apps() -> None:
    app = create_app(make_settings(token_ttl_seconds=120), title="unit")
    app.include_router(router)
    async with client_for(app) as client:
        response = await client.post("/oauth/access_token", data=SHOPPER_FORM)
    assert response.status_code == 200 and response.json()["expires_in"] == 120
