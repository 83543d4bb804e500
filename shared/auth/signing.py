"""Signing and checking our JWTs (HS256 with JWT_SECRET), shared by access and customer tokens.

Every service holds the secret and verifies tokens locally: no call to an auth service on the
request path. Only HS256 is accepted, so a token cannot pick a weaker algorithm (or "none"). Every
token names its deployment as its audience (TOKEN_AUDIENCE, by default the CLIENT_ID), so where two
deployments share a secret, or after the client id is rotated, one's tokens are not the other's.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from uuid import uuid4

import jwt

from shared.http.errors import Unauthorized
from shared.settings import ServiceSettings

ISSUER = "checkout-platform"
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "role", "iat", "exp")


def audience(settings: ServiceSettings) -> str:
    return settings.token_audience or settings.client_id


def sign(claims: Mapping[str, Any], settings: ServiceSettings) -> str:
    signed = {"iss": ISSUER, "aud": audience(settings), **claims}
    return jwt.encode(signed, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)


def sign_new(
    subject: str, subject_claim: str, role: str, ttl_seconds: int, settings: ServiceSettings, now: int | None
) -> tuple[str, int]:
    """A fresh token for `subject` (named by `sub` and by `subject_claim`), `role` and its lifetime,
    with its expiry (epoch seconds); its own `jti`, so no two tokens are alike. `now` is for tests."""
    issued_at = int(time.time()) if now is None else now
    expires = issued_at + ttl_seconds
    claims = {
        "sub": subject,
        subject_claim: subject,
        "role": role,
        "iat": issued_at,
        "exp": expires,
        "jti": uuid4().hex,
    }
    return sign(claims, settings), expires


def expired(what: str = "access token") -> Unauthorized:
    """The 401 for a token past its `exp`: one wording, whether pyjwt or the verified-token cache noticed."""
    return Unauthorized(f"The {what} has expired")


def decode(token: str, settings: ServiceSettings, *, what: str = "access token") -> dict[str, Any]:
    """The verified claims, or a 401 that says expired or invalid, and nothing an attacker could use."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            audience=audience(settings),
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.ExpiredSignatureError:
        raise expired(what) from None
    except jwt.InvalidTokenError:
        raise Unauthorized(f"The {what} is not valid") from None
    return claims
