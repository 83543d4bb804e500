"""Elastic Path's manual gateway: the merchant takes the money elsewhere; we only record it.

Nothing leaves the process, so calls complete at once and need no crash bracketing: `authorize`
is a complete authorisation (the order becomes processing), `purchase` a complete capture.
"""

from __future__ import annotations

from services.payment.application.ports import ChargeRequest
from services.payment.domain.gateway_state import GatewayRefund, GatewayState

REFERENCE = "manual"


class ManualGateway:
    name = "manual"
    records_calls = False

    def use_login(self, login: str) -> None:
        """The manual gateway has no key: nothing leaves the process."""

    async def prepare(self, request: ChargeRequest, idempotency_key: str) -> GatewayState:
        return GatewayState("created", REFERENCE)

    async def find(self, request: ChargeRequest) -> GatewayState | None:
        return None

    async def confirm(self, reference: str, request: ChargeRequest, idempotency_key: str) -> GatewayState:
        if request.method == "purchase":
            return GatewayState("captured", REFERENCE, authorized=request.amount, captured=request.amount)
        return GatewayState("authorized", REFERENCE, authorized=request.amount)

    async def retrieve(self, reference: str) -> GatewayState:
        return GatewayState("pending", REFERENCE)

    async def capture(self, reference: str, amount: int, idempotency_key: str) -> GatewayState:
        return GatewayState("captured", REFERENCE, captured=amount)

    async def cancel(self, reference: str, idempotency_key: str) -> GatewayState:
        return GatewayState("cancelled", REFERENCE)

    async def refund(
        self, reference: str, amount: int, idempotency_key: str, transaction_id: str
    ) -> GatewayRefund:
        return GatewayRefund(reference=idempotency_key, amount=amount)

    async def find_refund(self, reference: str, idempotency_key: str) -> GatewayRefund | None:
        return None
