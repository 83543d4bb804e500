"""`POST .../transactions/{id}/confirm`: re-sync a pending payment with its gateway (for example
after the shopper completed 3-D Secure with Stripe.js), as Elastic Path's Confirm Payment."""

from __future__ import annotations

from services.payment.application.context import Payments
from services.payment.application.follow_up import follow_up
from services.payment.application.held_transactions import held_transaction
from services.payment.application.ports import GatewayRefused, GatewayUnreachable
from services.payment.domain.errors import GatewayDeclined, GatewayUnavailable
from services.payment.domain.transaction import Transaction
from shared.contracts.envelope import utc_now
from shared.eventstore.port import UnitOfWork


async def confirm(payments: Payments, order_id: str, transaction_id: str) -> Transaction:
    async with held_transaction(payments, order_id, transaction_id) as held:
        txn, units = held.txn, held.units
        gateway = await payments.current_gateway(txn.gateway)
        if txn.status != "pending" or txn.reference is None or not gateway.records_calls:
            return txn
        try:
            state = await gateway.retrieve(txn.reference)
        except GatewayUnreachable as exc:
            raise GatewayUnavailable(txn.id) from exc
        except GatewayRefused as refusal:
            raise GatewayDeclined(refusal.message, transaction_id=txn.id, error=refusal.error) from None

        async def sync(uow: UnitOfWork) -> Transaction:
            current = await uow.load(Transaction, transaction_id)
            at = utc_now()
            current.merge(state, at)
            await follow_up(uow, current, at)
            return current

        return await units.run(sync, known=(txn,))
