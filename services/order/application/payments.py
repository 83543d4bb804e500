"""Payment facts from the payment service, applied to their order (which may complete it)."""

from __future__ import annotations

from datetime import datetime

from services.order.application.announcing import announce
from services.order.domain.order import Order
from shared.contracts.events import (
    PaymentAuthorized,
    PaymentCancelled,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
)
from shared.eventstore.port import UnitOfWork

PaymentFact = PaymentAuthorized | PaymentCaptured | PaymentRefunded | PaymentCancelled | PaymentFailed


async def record_payment(uow: UnitOfWork, fact: PaymentFact, at: datetime) -> Order:
    """Merge one fact into its order; raises OrderNotFound if the order is not there (yet)."""
    order = await uow.load(Order, fact.order_id)
    txn, gateway = fact.transaction_id, fact.gateway
    match fact:
        case PaymentAuthorized():
            order.record_authorization(txn, gateway, fact.amount, at)
        case PaymentCaptured():
            order.record_capture(txn, gateway, fact.amount, at)
        case PaymentRefunded():
            order.record_refund(
                txn,
                gateway,
                fact.amount,
                refunded_total=fact.refunded_total,
                fully_refunded=fact.fully_refunded,
                at=at,
            )
        case PaymentCancelled():
            order.record_transaction_cancelled(txn, gateway, at)
        case PaymentFailed():
            order.record_transaction_failed(txn, gateway, fact.reason, at)
    announce(uow, order)
    return order
