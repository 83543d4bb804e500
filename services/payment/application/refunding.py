"""`POST .../transactions/{id}/refund` (admin): give back part or all of what was captured.

With an `amount`, the gateway refunds it (the manual gateway only records it: the merchant
refunds outside). Without one (`{}` or no body) the transaction is marked as refunded in full
and no gateway is called, as Elastic Path's "Mark as Refunded". Never more than was captured,
whatever the gateway would accept.

`key` (from the client's Idempotency-Key): the refund's idempotency key at the gateway, or its
reference when it is only recorded; a retry that finds a refund made with it answers it instead of
refunding again.
"""

from __future__ import annotations

from datetime import datetime

from services.payment.application.context import Payments
from services.payment.application.follow_up import follow_up
from services.payment.application.gateway_calls import call_gateway
from services.payment.application.held_transactions import held_transaction
from services.payment.application.keyed_retries import call_made
from services.payment.domain.gateway_state import GatewayRefund
from services.payment.domain.transaction import Transaction
from shared.contracts.envelope import utc_now
from shared.eventstore.port import UnitOfWork


async def refund(
    payments: Payments, order_id: str, transaction_id: str, amount: int | None, key: str | None = None
) -> Transaction:
    async with held_transaction(payments, order_id, transaction_id) as held:
        txn, units = held.txn, held.units
        interrupted = held.interrupted_call("refund")
        if (
            interrupted is not None
            and interrupted.amount == amount
            and txn.refunded_total > held.refunded_before
        ):
            return txn  # the interrupted refund had gone through: this retry is its answer
        if key is not None and await call_made(payments.database, txn, "refund", key):
            return txn  # this key's refund was made: this retry is its answer
        to_refund = txn.refund_amount(amount)
        gateway = await payments.current_gateway(txn.gateway)
        if amount is None or not gateway.records_calls:
            mechanism = "manual"

            async def mark(uow: UnitOfWork) -> Transaction:
                current = await uow.load(Transaction, transaction_id)
                at = utc_now()
                current.record_refund(current.refund_amount(amount), mechanism, key, at)
                await follow_up(uow, current, at)
                return current

            return await units.run(mark, known=(txn,))
        reference = txn.reference or ""
        return await call_gateway(
            payments,
            units,
            txn,
            "refund",
            to_refund,
            lambda made_with: gateway.refund(reference, to_refund, made_with, transaction_id),
            _refunded,
            idempotency_key=key,
        )


def _refunded(txn: Transaction, refund: GatewayRefund, at: datetime) -> None:
    txn.record_refund(refund.amount, "automatic", refund.reference, at)
