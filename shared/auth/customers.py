"""Customer tokens (`X-Moltin-Customer-Token`): which registered customer is shopping.

Issued by the cart service's `POST /v2/customers/tokens` for 24 hours (ep-api.md §12) and sent
beside the implicit Bearer token. Signed like access tokens but with role `customer`, so one
kind can never stand in for the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth.signing import decode, sign_new
from shared.http.errors import Unauthorized
from shared.settings import ServiceSettings

CUSTOMER_TOKEN_HEADER = "X-Moltin-Customer-Token"
CUSTOMER_ROLE = "customer"


@dataclass(frozen=True)
class CustomerPrincipal:
    customer_id: str
    expires_at: int


def issue_customer_token(
    customer_id: str, settings: ServiceSettings, *, now: int | None = None
) -> tuple[str, int]:
    """(token, expires as epoch seconds), valid CUSTOMER_TOKEN_TTL_SECONDS (24 h by default)."""
    return sign_new(
        customer_id, "customer_id", CUSTOMER_ROLE, settings.customer_token_ttl_seconds, settings, now
    )


def verify_customer_token(token: str, settings: ServiceSettings) -> CustomerPrincipal:
    claims = decode(token, settings, what="customer token")
    customer_id = claims.get("customer_id")
    if claims.get("role") != CUSTOMER_ROLE or not isinstance(customer_id, str) or not customer_id:
        raise Unauthorized("The customer token is not valid")
    return CustomerPrincipal(customer_id=customer_id, expires_at=int(claims["exp"]))
