"""The verified-token cache: a hit skips the HS256 check but never its answers.

Expiry is checked on every hit, a token is remembered under the secret that verified it only,
refusals are never remembered, and the memory is bounded (least recently used out first).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest
from fastapi import APIRouter, FastAPI

from shared.auth import (
    AnyToken,
    CustomerPrincipal,
    CustomerToken,
    Principal,
    issue_customer_token,
    issue_token,
    verify_customer_token,
)
from shared.auth.dependencies import ACCESS_TOKENS, CUSTOMER_TOKENS
from shared.auth.tokens import verify_token
from shared.auth.verified import VerifiedTokens
from shared.http.errors import Unauthorized
from shared.settings import ServiceSettings
from tests.fast.unit.conftest import CLIENT_ID, client_for, make_app, make_settings, only_error


@pytest.fixture(autouse=True)
def empty_caches() -> Iterator[None]:
    ACCESS_TOKENS.clear()
    CUSTOMER_TOKENS.clear()
    yield
    ACCESS_TOKENS.clear()
    CUSTOMER_TOKENS.clear()


def with_routes(app: FastAPI) -> FastAPI:
    router = APIRouter()

    @router.get("/v2/anyone")
    async def anyone(principal: AnyToken) -> dict[str, object]:
        return {"grant": principal.grant_type}

    @router.get("/v2/customer")
    async def customer_only(_: AnyToken, customer: CustomerToken) -> dict[str, object]:
        return {"customer": customer.customer_id}

    app.include_router(router)
    return app


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    return with_routes(app)


def access_token(settings: ServiceSettings, *, now: int | None = None) -> tuple[str, int]:
    issued = issue_token("implicit", CLIENT_ID, settings, now=now)
    return issued["access_token"], issued["expires"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Counting:
    """`verify_token`, counting its calls: how we tell a cache hit from a verification."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, token: str, settings: ServiceSettings) -> Principal:
        self.calls += 1
        return verify_token(token, settings)


async def test_a_token_seen_before_is_not_verified_again(
    client: httpx.AsyncClient, settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = Counting()
    monkeypatch.setattr(ACCESS_TOKENS, "verify", counting)
    token, _ = access_token(settings)
    for _ in range(3):
        assert (await client.get("/v2/anyone", headers=bearer(token))).json() == {"grant": "implicit"}
    assert counting.calls == 1 and len(ACCESS_TOKENS) == 1


async def test_a_cached_token_is_refused_once_it_expires_with_the_uncached_answer(
    client: httpx.AsyncClient, settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, expires = access_token(settings)
    assert (await client.get("/v2/anyone", headers=bearer(token))).status_code == 200
    assert len(ACCESS_TOKENS) == 1

    monkeypatch.setattr(ACCESS_TOKENS, "clock", lambda: expires - 0.001)
    assert (await client.get("/v2/anyone", headers=bearer(token))).status_code == 200
    monkeypatch.setattr(ACCESS_TOKENS, "clock", lambda: float(expires))  # pyjwt: expired once exp <= now
    cached_refusal = await client.get("/v2/anyone", headers=bearer(token))
    assert len(ACCESS_TOKENS) == 0  # forgotten, not kept to be refused again

    old, _ = access_token(settings, now=int(time.time()) - settings.token_ttl_seconds - 1)
    uncached_refusal = await client.get("/v2/anyone", headers=bearer(old))
    error = only_error(cached_refusal, 401)
    assert error == only_error(uncached_refusal, 401)
    assert error["detail"] == "The access token has expired"
    assert cached_refusal.headers["www-authenticate"] == uncached_refusal.headers["www-authenticate"]


async def test_a_cached_customer_token_is_refused_once_it_expires(
    client: httpx.AsyncClient, settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    shopper, _ = access_token(settings)
    customer, expires = issue_customer_token("cust-7", settings)
    headers = {**bearer(shopper), "X-Moltin-Customer-Token": customer}
    assert (await client.get("/v2/customer", headers=headers)).json() == {"customer": "cust-7"}
    assert len(CUSTOMER_TOKENS) == 1
    monkeypatch.setattr(CUSTOMER_TOKENS, "clock", lambda: expires + 1.0)
    refused = only_error(await client.get("/v2/customer", headers=headers), 401)
    assert refused["detail"] == "The customer token has expired"


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "client_credentials"  # promote ourselves, keep the old signature
    forged = base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


async def test_tampered_and_foreign_tokens_are_refused_after_a_valid_one_was_cached(
    client: httpx.AsyncClient, settings: ServiceSettings
) -> None:
    token, _ = access_token(settings)
    assert (await client.get("/v2/anyone", headers=bearer(token))).status_code == 200
    foreign_settings = make_settings(jwt_secret="someone-elses-secret-" + "y" * 24)
    foreign, _ = access_token(foreign_settings)
    for bad in (_tampered(token), foreign, token + "x", token[:-1]):
        refused = only_error(await client.get("/v2/anyone", headers=bearer(bad)), 401)
        assert refused["detail"] == "The access token is not valid"
    assert len(ACCESS_TOKENS) == 1  # refusals are not remembered
    assert (await client.get("/v2/anyone", headers=bearer(token))).status_code == 200


async def test_a_token_cached_under_one_secret_is_refused_under_another(settings: ServiceSettings) -> None:
    other = make_settings(jwt_secret="another-services-secret-" + "z" * 24)
    token, _ = access_token(settings)
    async with (
        client_for(with_routes(make_app(settings))) as ours,
        client_for(with_routes(make_app(other))) as theirs,
    ):
        assert (await ours.get("/v2/anyone", headers=bearer(token))).status_code == 200
        refused = only_error(await theirs.get("/v2/anyone", headers=bearer(token)), 401)
    assert refused["detail"] == "The access token is not valid"


async def test_an_access_token_cached_is_still_no_customer_token(
    client: httpx.AsyncClient, settings: ServiceSettings
) -> None:
    token, _ = access_token(settings)
    assert (await client.get("/v2/anyone", headers=bearer(token))).status_code == 200
    headers = {**bearer(token), "X-Moltin-Customer-Token": token}
    refused = only_error(await client.get("/v2/customer", headers=headers), 401)
    assert refused["detail"] == "The customer token is not valid"


def test_the_cache_is_bounded_and_forgets_the_least_recently_used(settings: ServiceSettings) -> None:
    counting = Counting()
    cache = VerifiedTokens(counting, what="access token", max_entries=3)
    tokens = [access_token(settings)[0] for _ in range(5)]
    for token in tokens[:3]:
        cache.principal(token, settings)
    cache.principal(tokens[0], settings)  # used again: now the most recent
    for token in tokens[3:]:
        cache.principal(token, settings)
    assert len(cache) == 3 and counting.calls == 5

    cache.principal(tokens[0], settings)  # kept
    assert counting.calls == 5
    cache.principal(tokens[1], settings)  # forgotten: verified again
    assert counting.calls == 6 and len(cache) == 3


def test_a_hit_at_or_after_exp_is_refused_by_the_cache_clock(settings: ServiceSettings) -> None:
    now = [time.time()]
    cache = VerifiedTokens(verify_token, what="access token", clock=lambda: now[0])
    token, expires = access_token(settings)
    principal = cache.principal(token, settings)
    assert principal.expires_at == expires
    now[0] = expires - 1
    assert cache.principal(token, settings) == principal
    now[0] = expires
    with pytest.raises(Unauthorized, match="The access token has expired"):
        cache.principal(token, settings)


def test_a_customer_cache_names_its_tokens_in_the_expiry_error(settings: ServiceSettings) -> None:
    now = [time.time()]
    cache: VerifiedTokens[CustomerPrincipal] = VerifiedTokens(
        verify_customer_token, what="customer token", clock=lambda: now[0]
    )
    token, expires = issue_customer_token("cust-1", settings)
    cache.principal(token, settings)
    now[0] = expires + 60
    with pytest.raises(Unauthorized, match="The customer token has expired"):
        cache.principal(token, settings)


def test_the_bound_must_be_positive() -> None:
    with pytest.raises(ValueError):
        VerifiedTokens(verify_token, what="access token", max_entries=0)
