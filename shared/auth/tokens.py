"""Access tokens: Elastic Path's `implicit` (shopper) and `client_credentials` (admin) grants.

A token is a signed JWT (see `signing`) with `sub`/`client_id`, `role` (the grant type), `iat`,
`exp`, `jti`, `iss` and `aud`; `verify_token` turns one of this deployment's client back into the
`Principal` that routes check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypedDict, get_args

from shared.auth.signing import decode, sign_new
from shared.http.errors import Unauthorized
from shared.settings import ServiceSettings

GrantType = Literal["implicit", "client_credentials"]
GRANT_TYPES: tuple[GrantType, ...] = get_args(GrantType)


class IssuedToken(TypedDict):
    """The token endpoint's answer, at top level as the SDK reads it (ep-api.md §1.5, §2)."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    expires: int
    identifier: GrantType


@dataclass(frozen=True)
class Principal:
    """Who is calling: the store's client id, and with which grant."""

    client_id: str
    grant_type: GrantType
    expires_at: int

    @property
    def is_admin(self) -> bool:
        return self.grant_type == "client_credentials"


def issue_token(
    grant_type: GrantType, client_id: str, settings: ServiceSettings, *, now: int | None = None
) -> IssuedToken:
    """A fresh token for `client_id`, whose credentials the caller has checked; `now` is for tests."""
    access_token, expires = sign_new(
        client_id, "client_id", grant_type, settings.token_ttl_seconds, settings, now
    )
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": settings.token_ttl_seconds,
        "expires": expires,
        "identifier": grant_type,
    }


def verify_token(token: str, settings: ServiceSettings) -> Principal:
    """The caller behind a Bearer token; 401 for expired, tampered, foreign or non-access tokens."""
    claims = decode(token, settings)
    role = claims.get("role")
    if claims["sub"] != settings.client_id:  # issued to another client (or before CLIENT_ID rotated)
        raise Unauthorized("The access token is not valid")
    if role == "implicit" or role == "client_credentials":
        return Principal(client_id=str(claims["sub"]), grant_type=role, expires_at=int(claims["exp"]))
    raise Unauthorized("The access token is not valid")
