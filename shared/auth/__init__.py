"""Elastic Path authentication: the token endpoint, signed tokens, and the role checks every route uses.

Routes declare `principal: AnyToken` (any shopper or admin token) or `_: AdminToken`
(client-credentials only); both read the settings from `app.state`.
"""

from shared.auth.dependencies import (
    AdminToken,
    AnyToken,
    current_customer,
    optional_customer,
    require_admin,
    require_token,
)
from shared.auth.tokens import CustomerPrincipal, Principal, issue_customer_token, issue_token, verify_token

__all__ = [
    "AdminToken",
    "AnyToken",
    "CustomerPrincipal",
    "Principal",
    "current_customer",
    "issue_customer_token",
    "issue_token",
    "optional_customer",
    "require_admin",
    "require_token",
    "verify_token",
]
