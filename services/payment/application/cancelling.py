"""`POST .../transactions/{id}/cancel` (admin): void an authorisation (or a pending payment)
before any capture; the order's balance is owing again. With the client's Idempotency-Key (`key`,
then also the gateway call's key) a retry that finds the transaction voided answers it."""

from __future__ import annotations

from datetime import datetime

from services.payment.application.context import Payments
from services.payment.application.follow_up import follow_up
from services.payment.application.gateway_calls import call_gateway
from services.payment.application.held_transactions import held_transaction
from services.payment.domain.gateway_state import GatewayState
from services.payment.domain.transaction import Transaction
from shared.contracts.envelope import utc_now
from shared.eventstore.port import UnitOfWork


async def cancel(
    payments: Payments, order_id: str, transaction_id: str, reason: str, key: str | None = None
) -> Transaction:
    async with held_transaction(payments, order_id, transaction_id) as held:
        txn, units = held.txn, held.units
        if held.interrupted_call("cancel") is not None and txn.status == "cancelled":
            return txn  # the interrupted void had gone through
        if key is not None and txn.status == "cancelled":
            return txn  # voided (by this key's first attempt, or before: nothing moves either way)
        txn.check_cancellable()
        gateway = await payments.current_gateway(txn.gateway)
        if gateway.records_calls and txn.reference is not None:
            reference = txn.reference

            def voided(current: Transaction, state: GatewayState, at: datetime) -> None:
                if state.stage == "cancelled":
                    current.record_cancelled(reason, at)
                else:
                    current.merge(state, at)

            return await call_gateway(
                payments,
                units,
                txn,
                "cancel",
                None,
                lambda made_with: gateway.cancel(reference, made_with),
                voided,
                idempotency_key=key,
            )

        async def void(uow: UnitOfWork) -> Transaction:
            current = await uow.load(Transaction, transaction_id)
            current.check_cancellable()
            at = utc_now()
            current.record_cancelled(reason, at)
            await follow_up(uow, current, at)
            return current

        return await units.run(void, known=(txn,))
