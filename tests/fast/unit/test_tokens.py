"""Signed tokens: what they claim, and every kind of bad token refused with a 401."""

from __future__ import annotations

import base64
import time

import jwt
import orjson
import pytest

from shared.auth import (
    issue_customer_token,
    issue_token,
    verify_customer_token,
    verify_token,
)
from shared.auth.signing import ISSUER
from shared.http.errors import Unauthorized
from shared.settings import ServiceSettings
from tests.fast.unit.conftest import CLIENT_ID, make_settings


def _claims(token: str) -> dict[str, object]:
    return jwt.decode(token, options={"verify_signature": False})


def test_an_access_token_carries_the_agreed_claims(settings: ServiceSettings) -> None:
    issued = issue_token("client_credentials", CLIENT_ID, settings, now=1_700_000_000)
    claims = _claims(issued["access_token"])
    assert jwt.get_unverified_header(issued["access_token"])["alg"] == "HS256"
    assert claims["sub"] == claims["client_id"] == CLIENT_ID
    assert claims["role"] == "client_credentials" and claims["iss"] == ISSUER == "checkout-platform"
    assert (claims["iat"], claims["exp"]) == (1_700_000_000, 1_700_003_600)
    assert (
        claims["jti"]
        != _claims(issue_token("client_credentials", CLIENT_ID, settings)["access_token"])["jti"]
    )
    assert issued["expires"] == 1_700_003_600 and issued["expires_in"] == 3600


def test_a_token_round_trips_into_a_principal(settings: ServiceSettings) -> None:
    admin = verify_token(issue_token("client_credentials", CLIENT_ID, settings)["access_token"], settings)
    shopper = verify_token(issue_token("implicit", CLIENT_ID, settings)["access_token"], settings)
    assert admin.is_admin and not shopper.is_admin
    assert shopper.client_id == CLIENT_ID and shopper.grant_type == "implicit"
    with pytest.raises(AttributeError):
        shopper.grant_type = "client_credentials"  # type: ignore[misc]


def _refused(token: str, settings: ServiceSettings) -> str:
    with pytest.raises(Unauthorized) as caught:
        verify_token(token, settings)
    assert caught.value.status == 401 and caught.value.title == "Unable to validate access token"
    return str(caught.value.detail)


def test_an_expired_token_is_refused(settings: ServiceSettings) -> None:
    expired = issue_token("client_credentials", CLIENT_ID, settings, now=int(time.time()) - 3601)
    assert "expired" in _refused(expired["access_token"], settings)


def test_a_tampered_token_is_refused(settings: ServiceSettings) -> None:
    token = issue_token("implicit", CLIENT_ID, settings)["access_token"]
    header, payload, signature = token.split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "client_credentials"  # promote ourselves, keep the old signature
    forged = base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=").decode()
    assert "not valid" in _refused(f"{header}.{forged}.{signature}", settings)
    flipped = signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")
    assert "not valid" in _refused(f"{header}.{payload}.{flipped}", settings)


def test_a_token_signed_with_another_secret_is_refused(settings: ServiceSettings) -> None:
    foreign = make_settings(jwt_secret="someone-elses-secret-" + "y" * 24)
    token = issue_token("client_credentials", CLIENT_ID, foreign)["access_token"]
    assert "not valid" in _refused(token, settings)


@pytest.mark.parametrize("garbage", ["", "garbage", "a.b.c", "Bearer x", "🙂"])
def test_garbage_is_refused(settings: ServiceSettings, garbage: str) -> None:
    _refused(garbage, settings)


def test_unsigned_and_foreign_issuer_tokens_are_refused(settings: ServiceSettings) -> None:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": CLIENT_ID,
        "role": "client_credentials",
        "iat": now,
        "exp": now + 60,
    }
    assert verify_token(jwt.encode(claims, settings.jwt_secret.get_secret_value()), settings).is_admin
    _refused(jwt.encode(claims, None, algorithm="none"), settings)
    secret = settings.jwt_secret.get_secret_value()
    _refused(jwt.encode({**claims, "iss": "someone-else"}, secret, algorithm="HS256"), settings)
    _refused(jwt.encode({**claims, "role": "superuser"}, secret, algorithm="HS256"), settings)
    without_expiry = {k: v for k, v in claims.items() if k != "exp"}
    _refused(jwt.encode(without_expiry, secret, algorithm="HS256"), settings)


def test_customer_tokens_last_a_day_and_are_not_access_tokens(settings: ServiceSettings) -> None:
    before = int(time.time())
    token, expires = issue_customer_token("cust-1", settings)
    assert before + 86_400 <= expires <= int(time.time()) + 86_400  # brackets the call, however slow
    customer = verify_customer_token(token, settings)
    assert (customer.customer_id, customer.expires_at) == ("cust-1", expires)
    assert _claims(token)["role"] == "customer" and _claims(token)["customer_id"] == "cust-1"
    _refused(token, settings)  # not usable as a Bearer token
    access = issue_token("implicit", CLIENT_ID, settings)["access_token"]
    with pytest.raises(Unauthorized):
        verify_customer_token(access, settings)  # nor the other way round


def test_an_expired_customer_token_is_refused(settings: ServiceSettings) -> None:
    token, _ = issue_customer_token("cust-1", settings, now=int(time.time()) - 86_401)
    with pytest.raises(Unauthorized, match="customer token has expired"):
        verify_customer_token(token, settings)


def test_a_token_is_bound_to_its_deployment_and_its_client(settings: ServiceSettings) -> None:
    """Same secret, another deployment (TOKEN_AUDIENCE) or another client id: not our token (issue 22, L7)."""
    token = issue_token("client_credentials", CLIENT_ID, settings)["access_token"]
    assert _claims(token)["aud"] == CLIENT_ID  # the audience defaults to the client id
    staging = make_settings(token_audience="staging")
    assert "not valid" in _refused(
        issue_token("client_credentials", CLIENT_ID, staging)["access_token"], settings
    )
    assert "not valid" in _refused(token, staging)
    rotated = make_settings(client_id="rotated-client-id")
    assert "not valid" in _refused(token, rotated)  # issued before CLIENT_ID changed
    customer, _ = issue_customer_token("cust-1", staging)
    with pytest.raises(Unauthorized):
        verify_customer_token(customer, settings)


def test_an_access_token_for_another_client_is_refused_even_with_our_audience(
    settings: ServiceSettings,
) -> None:
    token = issue_token("client_credentials", "another-client", settings)["access_token"]
    assert _claims(token)["aud"] == CLIENT_ID
    assert "not valid" in _refused(token, settings)
