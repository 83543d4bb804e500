"""When stock is allocated: Elastic Path's documented default, or reserved at checkout."""

from __future__ import annotations

from enum import StrEnum


class AllocationPolicy(StrEnum):
    ALLOCATE_ON_PAYMENT = "allocate_on_payment"
    """Elastic Path's flow: allocate when the shopper attempts to pay, before money moves."""

    RESERVE_ON_CHECKOUT = "reserve_on_checkout"
    """Allocate when the order is created; release if it is cancelled or not paid in time."""
