"""Signed access tokens (HS256 JWTs) that every service verifies locally, without a call.

Grant types are Elastic Path's: `implicit` (a shopper's storefront token) and
`client_credentials` (an admin). Customer tokens (`X-Moltin-Customer-Token`) say which
registered customer is shopping.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal
from uuid import uuid4

import jwt

from shared.http.errors import ApiError, unauthorized
from shared.settings import ServiceSettings

ISSUER = "checkout-platform"
GrantType = Literal["implicit", "client_credentials"]


@dataclass(frozen=True)
class Principal:
    client_id: str
    grant_type: GrantType
    expires_at: int

    @property
    def is_admin(self) -> bool:
        return self.grant_type == "client_credentials"


@dataclass(frozen=True)
class CustomerPrincipal:
    customer_id: str
    expires_at: int


def _secret(settings: ServiceSettings) -> str:
    return settings.jwt_secret.get_secret_value()


def issue_token(grant_type: GrantType, client_id: str, settings: ServiceSettings) -> dict[str, Any]:
    """The token endpoint's answer, top level as the SDK needs it (ep-api.md §2)."""
    now = int(time.time())
    expires = now + settings.token_ttl_seconds
    claims = {
        "iss": ISSUER,
        "sub": client_id,
        "role": grant_type,
        "iat": now,
        "exp": expires,
        "jti": str(uuid4()),
    }
    return {
        "access_token": jwt.encode(claims, _secret(settings), algorithm="HS256"),
        "token_type": "Bearer",
        "expires_in": settings.token_ttl_seconds,
        "expires": expires,
        "identifier": grant_type,
    }


def _decode(token: str, settings: ServiceSettings) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, _secret(settings), algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError:
        raise unauthorized("The access token has expired") from None
    except jwt.InvalidTokenError:
        raise unauthorized("The access token is not valid") from None
    return claims


def verify_token(token: str, settings: ServiceSettings) -> Principal:
    claims = _decode(token, settings)
    role = claims.get("role")
    if role not in ("implicit", "client_credentials"):
        raise unauthorized("The access token is not valid")
    return Principal(client_id=str(claims["sub"]), grant_type=role, expires_at=int(claims["exp"]))


def issue_customer_token(customer_id: str, settings: ServiceSettings) -> tuple[str, int]:
    now = int(time.time())
    expires = now + settings.customer_token_ttl_seconds
    claims = {
        "iss": ISSUER,
        "sub": customer_id,
        "role": "customer",
        "iat": now,
        "exp": expires,
        "jti": str(uuid4()),
    }
    return jwt.encode(claims, _secret(settings), algorithm="HS256"), expires


def verify_customer_token(token: str, settings: ServiceSettings) -> CustomerPrincipal:
    try:
        claims = _decode(token, settings)
    except ApiError:
        raise ApiError(401, "Unauthorized", "The customer token is not valid") from None
    if claims.get("role") != "customer":
        raise ApiError(401, "Unauthorized", "The customer token is not valid")
    return CustomerPrincipal(customer_id=str(claims["sub"]), expires_at=int(claims["exp"]))
