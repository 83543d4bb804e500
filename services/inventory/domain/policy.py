"""When stock is allocated: Elastic Path's documented default, or reserved at checkout."""

from __future__ import annotations

from enum import StrEnum

CHECKOUT_REQUEST = "checkout"
"""The request id of a checkout reservation, in its `StockAllocated`/`StockAllocationFailed` reply
(payments use their transaction id)."""


class AllocationPolicy(StrEnum):
    """INVENTORY_POLICY."""

    ALLOCATE_ON_PAYMENT = "allocate_on_payment"
    """Elastic Path's flow: allocate when the shopper attempts to pay, before money moves; carts
    and checkouts never hold stock, so the race for the last unit is decided at payment."""

    RESERVE_ON_CHECKOUT = "reserve_on_checkout"
    """Allocate when the cart is checked out; released when the order is cancelled, or when no
    payment was attempted within INVENTORY_RESERVATION_TTL_SECONDS. The payment's request is
    answered at once from the reservation, which from then on follows that payment (kept if it
    succeeds, released if it fails), as in Elastic Path's flow."""

    @property
    def reserves_at_checkout(self) -> bool:
        return self is AllocationPolicy.RESERVE_ON_CHECKOUT
