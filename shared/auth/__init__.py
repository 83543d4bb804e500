"""Elastic Path authentication: the token endpoint, signed tokens, and the role checks every route uses.

Routes declare `principal: AnyToken` (any shopper or admin token) or `_: AdminToken`
(client credentials only). Both read the settings from `request.app.state.settings`, which
`shared.http.app.create_app` sets; mount the token endpoint with
`app.include_router(token_router(settings))`.
"""

from shared.auth.customers import (
    CUSTOMER_TOKEN_HEADER,
    CustomerPrincipal,
    issue_customer_token,
    verify_customer_token,
)
from shared.auth.dependencies import (
    AdminToken,
    AnyToken,
    CustomerToken,
    OptionalCustomer,
    bearer_token,
    optional_customer,
    optional_customer_dependency,
    require_admin,
    require_customer,
    require_token,
    settings_of,
)
from shared.auth.ownership import may_access_order
from shared.auth.routes import token_router
from shared.auth.tokens import GrantType, IssuedToken, Principal, issue_token, verify_token

__all__ = [
    "CUSTOMER_TOKEN_HEADER",
    "AdminToken",
    "AnyToken",
    "CustomerPrincipal",
    "CustomerToken",
    "GrantType",
    "IssuedToken",
    "OptionalCustomer",
    "Principal",
    "bearer_token",
    "issue_customer_token",
    "issue_token",
    "may_access_order",
    "optional_customer",
    "optional_customer_dependency",
    "require_admin",
    "require_customer",
    "require_token",
    "settings_of",
    "token_router",
    "verify_customer_token",
    "verify_token",
]
