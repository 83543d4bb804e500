"""Who is calling a cart route: an admin, or a storefront with or without a customer token."""

from __future__ import annotations

from fastapi import Request

from services.cart.domain.associations import CartAccess
from shared.auth import Principal, optional_customer
from shared.http.openapi import header_parameter

CUSTOMER_TOKEN = header_parameter(
    "X-Moltin-Customer-Token", "The customer's token (an admin's client_credentials token needs none)"
)


def access_of(request: Request, principal: Principal) -> CartAccess:
    """The caller as the cart rules see it (an invalid customer token is a 401 here already)."""
    customer = optional_customer(request)
    return CartAccess(is_admin=principal.is_admin, customer_id=customer.customer_id if customer else None)
