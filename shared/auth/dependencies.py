"""FastAPI dependencies: the one place routes get their caller's identity and role checked.

Settings come from `request.app.state.settings` (put there by `shared.http.app.create_app`),
so routes need no wiring: declare `principal: AnyToken` (any shopper or admin token) or
`_: AdminToken` (client credentials only); `optional_customer(request)` or `OptionalCustomer`
where a customer token may scope the answer.

Verified tokens are remembered (`shared.auth.verified`): a token seen before costs a lookup and
an expiry check instead of an HS256 decode, under the same secret only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shared.auth.customers import CUSTOMER_TOKEN_HEADER, CustomerPrincipal, verify_customer_token
from shared.auth.revocations import REVOKED_CUSTOMERS
from shared.auth.tokens import Principal, verify_token
from shared.auth.verified import VerifiedTokens
from shared.http.errors import Forbidden, Unauthorized
from shared.settings import ServiceSettings


def settings_of(request: Request) -> ServiceSettings:
    """The app's settings (set by `create_app`); a missing one is a wiring bug, hence the assert."""
    settings = getattr(request.app.state, "settings", None)
    assert isinstance(settings, ServiceSettings), "create_app(settings, ...) puts settings on app.state"
    return settings


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if there is one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


ACCESS_TOKENS: VerifiedTokens[Principal] = VerifiedTokens(verify_token, what="access token")
"""Bearer tokens verified before (bounded, expiry checked on every hit; see `shared.auth.verified`)."""
CUSTOMER_TOKENS: VerifiedTokens[CustomerPrincipal] = VerifiedTokens(
    verify_customer_token, what="customer token"
)
"""Customer tokens verified before: apart from access tokens, so one kind never answers for the other."""


def bearer_principal(request: Request) -> Principal:
    """The caller behind the request's Bearer token, or the 401 that says what is wrong with it."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("An Authorization: Bearer token is required")
    return ACCESS_TOKENS.principal(token, settings_of(request))


async def require_token(request: Request) -> Principal:
    """Any valid Bearer token: a shopper's (implicit) or an admin's (client credentials).

    The dependencies are `async def` although they never wait: FastAPI runs a plain `def`
    dependency in its thread pool, a hop that cost ~120 µs of CPU per request.
    """
    return bearer_principal(request)


async def require_admin(request: Request) -> Principal:
    """A client-credentials token, as Elastic Path requires for every admin write."""
    principal = bearer_principal(request)
    if not principal.is_admin:
        raise Forbidden("This operation requires a client_credentials token")
    return principal


def optional_customer(request: Request) -> CustomerPrincipal | None:
    """The `X-Moltin-Customer-Token` caller when that header is sent (it must then be valid, and
    its customer not deleted: `shared.auth.revocations`).

    Plain `def`, because handlers call it directly; routes declare `OptionalCustomer`, whose
    dependency (`optional_customer_dependency`) is async and does the same.
    """
    token = request.headers.get(CUSTOMER_TOKEN_HEADER, "").strip()
    if not token:
        return None
    customer = CUSTOMER_TOKENS.principal(token, settings_of(request))
    if REVOKED_CUSTOMERS.is_revoked(customer.customer_id):
        raise Unauthorized("The customer token is not valid: the customer has been deleted")
    return customer


async def optional_customer_dependency(request: Request) -> CustomerPrincipal | None:
    """`optional_customer` as a dependency, async so that FastAPI keeps it off the thread pool."""
    return optional_customer(request)


async def require_customer(request: Request) -> CustomerPrincipal:
    customer = optional_customer(request)
    if customer is None:
        raise Unauthorized(f"An {CUSTOMER_TOKEN_HEADER} header is required")
    return customer


AnyToken = Annotated[Principal, Depends(require_token)]
AdminToken = Annotated[Principal, Depends(require_admin)]
CustomerToken = Annotated[CustomerPrincipal, Depends(require_customer)]
OptionalCustomer = Annotated[CustomerPrincipal | None, Depends(optional_customer_dependency)]
