"""Who may read or change a customer and their addresses: an admin, or the customer themself.

Elastic Path scopes a customer's own resources by the `X-Moltin-Customer-Token` sent beside the
implicit Bearer token (ep-api.md §12); another customer's token is refused (403), and so is no
token. A path id that is not a customer id is a 404, as a customer that does not exist.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import Request

from services.cart.domain.customer import CustomerNotFound
from shared.auth import Principal, optional_customer
from shared.http.errors import ApiError


def require_customer_or_admin(principal: Principal, request: Request, customer_id: str) -> None:
    """Raise unless the caller is an admin or holds this customer's (valid, unrevoked) token."""
    if not principal.is_admin:
        holder = optional_customer(request)
        if holder is None or holder.customer_id != customer_id:
            raise ApiError(
                403,
                "Forbidden",
                "Only an admin or the customer themself (with their customer token) may do this",
            )
    try:
        UUID(customer_id)
    except ValueError:
        raise CustomerNotFound(customer_id) from None
