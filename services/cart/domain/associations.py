"""A cart associated with a registered customer: who may use it, and the events that bind and free it.

Elastic Path's Customer Cart Associations (carts-orders.yaml): once a cart is a customer's, only
that customer (their `X-Moltin-Customer-Token`) or an admin (client credentials) may read, change or
check it out; others get 403 "Customer does not have the required permissions to fulfill this
request". A cart has at most one customer ("Cannot associate more than one customer").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.cart.domain.events import CART_EVENTS
from shared.contracts.registry import VersionedEvent
from shared.domain.errors import DomainError

NO_PERMISSION = "Customer does not have the required permissions to fulfill this request"
ONE_CUSTOMER_ONLY = "Cannot associate more than one customer"


@CART_EVENTS.register
class CustomerCartAssociated(VersionedEvent):
    """The cart became `customer_id`'s: listed in their carts, usable only with their token."""

    customer_id: str
    at: datetime


@CART_EVENTS.register
class CustomerCartDissociated(VersionedEvent):
    """The cart is no longer `customer_id`'s: a guest cart again."""

    customer_id: str
    at: datetime


class CustomerCartForbidden(DomainError):
    """Elastic Path's 403 for a cart that is another customer's (or needs a customer token)."""

    status = 403
    title = "Forbidden"

    def __init__(self, detail: str = NO_PERMISSION, *, source: str | None = None) -> None:
        super().__init__(detail, source=source)


@dataclass(frozen=True)
class CartAccess:
    """Who is asking: an admin, or a storefront with (or without) a customer token."""

    is_admin: bool
    customer_id: str | None

    def may_use(self, owner_customer_id: str | None) -> bool:
        """A guest cart is anyone's by its reference; a customer's cart is theirs and admins'."""
        return owner_customer_id is None or self.is_admin or self.customer_id == owner_customer_id

    def check(self, owner_customer_id: str | None) -> None:
        if not self.may_use(owner_customer_id):
            raise CustomerCartForbidden()
