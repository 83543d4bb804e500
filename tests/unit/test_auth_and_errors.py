"""The HTTP kernel in-process: tokens, role checks, and Elastic Path error bodies for every failure."""

from __future__ import annotations

import json
import logging
import time

import httpx
import jwt
import pytest
from fastapi import APIRouter, Request

from shared.auth import AdminToken, AnyToken, issue_customer_token, optional_customer
from shared.auth.routes import router as token_router
from shared.auth.tokens import ISSUER, verify_customer_token
from shared.http.app import create_app
from shared.http.body import read_data
from shared.logging import JsonFormatter
from shared.settings import ServiceSettings
from shared.tracing import traced

SETTINGS = ServiceSettings(service_name="test", client_id="cid", client_secret="csecret", jwt_secret="s" * 40)


def build_app():
    app = create_app(SETTINGS, title="test")
    app.include_router(token_router)
    router = APIRouter()

    @router.get("/shopper")
    async def shopper(principal: AnyToken) -> dict[str, str]:
        return {"grant": principal.grant_type}

    @router.post("/admin")
    async def admin(principal: AdminToken) -> dict[str, str]:
        return {"grant": principal.grant_type}

    @router.post("/echo")
    async def echo(request: Request) -> dict[str, object]:
        return {"data": await read_data(request)}

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    app.include_router(router)
    return app


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def get_token(client, **form) -> httpx.Response:
    return await client.post("/oauth/access_token", data=form)


async def test_both_grants_answer_at_top_level_with_absolute_expiry(client):
    implicit = await get_token(client, grant_type="implicit", client_id="cid")
    admin = await get_token(client, grant_type="client_credentials", client_id="cid", client_secret="csecret")
    for response, grant in ((implicit, "implicit"), (admin, "client_credentials")):
        body = response.json()
        assert response.status_code == 200 and body["identifier"] == grant and body["token_type"] == "Bearer"
        assert abs(body["expires"] - (time.time() + body["expires_in"])) < 5


@pytest.mark.parametrize(
    "form,status",
    [
        ({"grant_type": "client_credentials", "client_id": "cid", "client_secret": "wrong"}, 401),
        ({"grant_type": "client_credentials", "client_id": "cid"}, 400),
        ({"grant_type": "implicit", "client_id": "someone-else"}, 401),
        ({"grant_type": "implicit"}, 400),
        ({"grant_type": "password", "client_id": "cid"}, 400),
        ({}, 400),
    ],
)
async def test_bad_token_requests_are_ep_errors(client, form, status):
    response = await get_token(client, **form)
    assert response.status_code == status
    assert response.json()["errors"][0]["status"] == status


async def test_a_json_token_request_works_too(client):
    response = await client.post("/oauth/access_token", json={"grant_type": "implicit", "client_id": "cid"})
    assert response.status_code == 200 and response.json()["identifier"] == "implicit"


async def test_roles_are_enforced_and_bad_tokens_refused(client):
    shopper = (await get_token(client, grant_type="implicit", client_id="cid")).json()["access_token"]
    admin = (
        await get_token(client, grant_type="client_credentials", client_id="cid", client_secret="csecret")
    ).json()["access_token"]
    assert (await client.get("/shopper", headers={"Authorization": f"Bearer {shopper}"})).status_code == 200
    refused = await client.post("/admin", headers={"Authorization": f"Bearer {shopper}"})
    assert refused.status_code == 403 and refused.json()["errors"][0]["title"] == "Forbidden"
    assert (await client.post("/admin", headers={"Authorization": f"Bearer {admin}"})).json() == {
        "grant": "client_credentials"
    }
    assert (await client.get("/shopper")).status_code == 401
    tampered = shopper[:-3] + ("aaa" if not shopper.endswith("aaa") else "bbb")
    for bad in (
        tampered,
        "garbage",
        jwt.encode(
            {"sub": "cid", "role": "client_credentials", "iss": ISSUER, "exp": int(time.time()) + 60},
            "other-secret" * 4,
        ),
    ):
        response = await client.post("/admin", headers={"Authorization": f"Bearer {bad}"})
        assert (
            response.status_code == 401
            and response.json()["errors"][0]["title"] == "Unable to validate access token"
        )
    expired = jwt.encode(
        {"sub": "cid", "role": "client_credentials", "iss": ISSUER, "exp": int(time.time()) - 5},
        SETTINGS.jwt_secret.get_secret_value(),
    )
    response = await client.post("/admin", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and "expired" in response.json()["errors"][0]["detail"]


async def test_customer_tokens_round_trip_and_are_not_access_tokens(client):
    token, expires = issue_customer_token("cust-1", SETTINGS)
    assert verify_customer_token(token, SETTINGS).customer_id == "cust-1" and expires > time.time()
    response = await client.get("/shopper", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401  # a customer token is not a Bearer access token
    assert optional_customer is not None


async def test_every_failure_has_the_ep_shape(client):
    malformed = await client.post("/echo", content=b"{oops", headers={"content-type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["errors"][0]["detail"] == "Malformed JSON"
    missing = await client.post("/echo", json={"nodata": 1})
    assert missing.status_code == 400 and missing.json()["errors"][0]["source"] == "data"
    unknown = await client.get("/nowhere")
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["title"] == "Not Found"
    wrong_method = await client.delete("/shopper")
    assert wrong_method.status_code == 405 and wrong_method.json()["errors"][0]["status"] == 405
    boom = await client.get("/boom")
    body = boom.json()["errors"][0]
    assert boom.status_code == 500 and body["title"] == "Internal Server Error" and body["request_id"]
    assert "secret internals" not in boom.text


async def test_correlation_ids_are_echoed_and_logged(client):
    response = await client.get("/health", headers={"X-Correlation-ID": "abc-123"})
    assert response.headers["x-correlation-id"] == "abc-123"
    assert (await client.get("/health")).headers["x-correlation-id"]
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    with traced("corr-9", "cause-1"):
        line = json.loads(JsonFormatter("svc").format(record))
    assert line["msg"] == "hello world" and line["correlation_id"] == "corr-9" and line["service"] == "svc"


def test_secrets_never_show_in_settings_repr():
    assert "csecret" not in repr(SETTINGS) and "s" * 40 not in repr(SETTINGS)


async def test_page_brackets_arrive_raw_or_encoded(client):
    app = build_app()
    router = APIRouter()

    @router.get("/paged")
    async def paged(request: Request) -> dict[str, object]:
        from shared.http.paging import paging

        return {"page": list(paging(request))}

    app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/paged?page[limit]=10&page[offset]=20")).json() == {"page": [10, 20]}
        assert (await c.get("/paged?page%5Blimit%5D=5")).json() == {"page": [5, 0]}
        assert (await c.get("/paged?page[limit]=500")).status_code == 400
