"""FastAPI dependencies: the one place routes get their caller's identity and role checked."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shared.auth.tokens import CustomerPrincipal, Principal, verify_customer_token, verify_token
from shared.http.errors import forbidden, unauthorized
from shared.settings import ServiceSettings


def settings_of(request: Request) -> ServiceSettings:
    settings = request.app.state.settings
    assert isinstance(settings, ServiceSettings)
    return settings


def require_token(request: Request) -> Principal:
    """Any valid Bearer token: a shopper's (implicit) or an admin's (client credentials)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("An Authorization: Bearer token is required")
    return verify_token(token.strip(), settings_of(request))


def require_admin(request: Request) -> Principal:
    """A client-credentials token, as Elastic Path requires for every admin write."""
    principal = require_token(request)
    if not principal.is_admin:
        raise forbidden("This operation requires a client_credentials token")
    return principal


def optional_customer(request: Request) -> CustomerPrincipal | None:
    """The `X-Moltin-Customer-Token` caller, when one is sent (it must then be valid)."""
    token = request.headers.get("x-moltin-customer-token")
    if not token:
        return None
    return verify_customer_token(token.strip(), settings_of(request))


def current_customer(request: Request) -> CustomerPrincipal:
    customer = optional_customer(request)
    if customer is None:
        raise unauthorized("An X-Moltin-Customer-Token is required")
    return customer


# Route parameters: `principal: AnyToken` or `_: AdminToken`.
AnyToken = Annotated[Principal, Depends(require_token)]
AdminToken = Annotated[Principal, Depends(require_admin)]
