"""The id of the order a cart becomes: an HMAC of the cart's reference and version, keyed by a secret.

Derived, not random, so a retried checkout of the same cart version names the same order on every
instance of the cart service. Keyed (ORDER_ID_SECRET), so knowing a cart's reference is not enough
to compute the orders it became: a guest order is read by its id alone, and carries the shopper's
name, email, addresses and phone.
"""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID


class OrderIds:
    """Derives order ids with one secret key; every instance of the cart service must share it."""

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("the order id key must not be empty")
        self._key = key

    def __repr__(self) -> str:
        return "OrderIds(key=<secret>)"

    def for_checkout(self, cart_id: str, cart_version: int) -> str:
        """The order that checking out `cart_id` at `cart_version` makes.

        A UUID of version 4: without the key its bits are indistinguishable from random ones.
        """
        digest = hmac.new(self._key, f"{cart_id}@{cart_version}".encode(), hashlib.sha256).digest()
        return str(UUID(bytes=digest[:16], version=4))
