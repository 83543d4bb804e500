"""`POST .../transactions/{id}/capture` (admin): take an authorised payment, once.

A capture left in flight by a crash is reconciled first: if the gateway shows it captured (or a
webhook said so meanwhile), the retry answers with that capture instead of capturing again; a
capture of a transaction captured before is refused, except to a retry with the client's
Idempotency-Key (`key`, then also the gateway call's key): a transaction is captured once, so that
retry answers the capture it finds.
"""

from __future__ import annotations

from datetime import datetime

from services.payment.application.context import Payments
from services.payment.application.gateway_calls import call_gateway
from services.payment.application.held_transactions import held_transaction
from services.payment.domain.gateway_state import GatewayState
from services.payment.domain.transaction import Transaction


async def capture(
    payments: Payments, order_id: str, transaction_id: str, amount: int | None, key: str | None = None
) -> Transaction:
    async with held_transaction(payments, order_id, transaction_id) as held:
        txn, units = held.txn, held.units
        if held.interrupted_call("capture") is not None and txn.has_capture:
            return txn  # the interrupted capture had gone through: this retry is its answer
        if key is not None and txn.has_capture:
            return txn  # captured (by this key's first attempt, or before: no money moves either way)
        to_capture = txn.capture_amount(amount)
        gateway = await payments.current_gateway(txn.gateway)
        reference = txn.reference or ""

        def captured(current: Transaction, state: GatewayState, at: datetime) -> None:
            if not gateway.records_calls:
                current.capture_amount(amount)  # no lock kept another instance out: the rule, on what is now
            current.merge(state, at)

        return await call_gateway(
            payments,
            units,
            txn,
            "capture",
            to_capture,
            lambda made_with: gateway.capture(reference, to_capture, made_with),
            captured,
            idempotency_key=key,
        )
