"""The one protocol every payment gateway adapter implements, and the two ways a call can fail.

A gateway answers in `GatewayState`s; it never writes anything itself. Calls that move money
take an idempotency key derived from the transaction, and `find` / `retrieve` / `find_refund`
let the application learn what a call cut short by a crash actually did, instead of repeating it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from services.payment.domain.gateway_state import GatewayRefund, GatewayState


@dataclass(frozen=True)
class ChargeRequest:
    """What the gateway needs to take a payment; the amount and currency come from the order."""

    transaction_id: str
    order_id: str
    method: str  # authorize | purchase
    amount: int
    currency: str
    payment: str | None


class GatewayRefused(Exception):
    """The gateway said no, definitively (a decline, an invalid request): nothing happened."""

    def __init__(self, message: str, *, code: str, error: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.error: dict[str, Any] = error or {"code": code, "message": message}


class GatewayUnreachable(Exception):
    """No answer (network, timeout, 5xx): the call may or may not have happened."""


@dataclass(frozen=True)
class GatewayEvent:
    """A verified notification from the gateway about one payment."""

    event_id: str
    state: GatewayState
    transaction_id: str | None = None  # from the payment's metadata, when the gateway carries it


class Gateway(Protocol):
    """`records_calls`: whether calls leave the process (and so must be bracketed for crash safety)."""

    name: str
    records_calls: bool

    def use_login(self, login: str) -> None:
        """Use this secret key from now on (`/v2/gateways` configures it; empty: none)."""
        ...

    async def prepare(self, request: ChargeRequest, idempotency_key: str) -> GatewayState:
        """Create the payment at the gateway without moving money (stage `created`)."""
        ...

    async def find(self, request: ChargeRequest) -> GatewayState | None:
        """The payment `prepare` made for this transaction, if it made one."""
        ...

    async def confirm(self, reference: str, request: ChargeRequest, idempotency_key: str) -> GatewayState:
        """Authorise, or authorise and capture (`purchase`)."""
        ...

    async def retrieve(self, reference: str) -> GatewayState: ...

    async def capture(self, reference: str, amount: int, idempotency_key: str) -> GatewayState: ...

    async def cancel(self, reference: str, idempotency_key: str) -> GatewayState: ...

    async def refund(
        self, reference: str, amount: int, idempotency_key: str, transaction_id: str
    ) -> GatewayRefund: ...

    async def find_refund(self, reference: str, idempotency_key: str) -> GatewayRefund | None:
        """The refund made with this idempotency key, if it was made."""
        ...
