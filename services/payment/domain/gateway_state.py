"""What a gateway says about a payment, in the gateway's neutral words.

Every source of truth about a payment (the synchronous answer of a call, a signed webhook, a
retrieve during reconciliation) is turned into a `GatewayState`, and the transaction merges it
idempotently: that is what makes those sources interchangeable writers of one state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# `created`: the gateway holds the payment but it was never confirmed (no money can have moved);
# `pending`: confirmed, waiting for the shopper or the bank (e.g. 3-D Secure).
Stage = Literal["created", "pending", "authorized", "captured", "failed", "cancelled"]


@dataclass(frozen=True)
class GatewayState:
    """`authorized` / `captured` are amounts the gateway confirmed (0 when it did not say)."""

    stage: Stage
    reference: str
    authorized: int = 0
    captured: int = 0
    refunded: int | None = None  # the gateway's refunded total, when it reports one
    failure_code: str = ""
    failure_reason: str = ""
    client_secret: str | None = None


@dataclass(frozen=True)
class GatewayRefund:
    """A refund the gateway made: its own id and amount."""

    reference: str
    amount: int
