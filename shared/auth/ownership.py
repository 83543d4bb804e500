"""Who may see an order and what hangs off it (its items, payments, transactions).

One rule for every service that serves an order's resources, so the order and payment services
cannot drift apart: admins see everything; a guest's order (no customer id) is reached by its
unguessable id with any storefront token; a registered customer's order only with that customer's
`X-Moltin-Customer-Token` beside the Bearer token (ep-api.md §12). Callers answer a refusal with
their own 404, so nobody learns that someone else's order exists.
"""

from __future__ import annotations

from fastapi import Request

from shared.auth.dependencies import optional_customer
from shared.auth.tokens import Principal


def may_access_order(principal: Principal, owner_customer_id: str | None, request: Request) -> bool:
    """True when `principal` (with the request's customer token, if any) may see the order."""
    if principal.is_admin or owner_customer_id is None:
        return True
    customer = optional_customer(request)
    return customer is not None and customer.customer_id == owner_customer_id
