"""What follows a change to a transaction, in the same unit of work: its integration events, the
order's balance, and the service's own indexes (`ports.TransactionIndex`, written with the unit).

Every path that changes a transaction (the HTTP commands, the Kafka consumer, webhooks, the
reconciler) ends with `follow_up`, once per unit of work. Because a transaction records each
fact once (its merges are idempotent), each integration event is published once, whichever
path saw the fact first.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from services.payment.application.ports import TRANSACTION_INDEX
from services.payment.domain.events import (
    GatewayReferenceRecorded,
    StockAllocationRefused,
    TransactionAuthorized,
    TransactionCancelled,
    TransactionCaptured,
    TransactionFailed,
    TransactionRefunded,
)
from services.payment.domain.payable_order import PayableOrder
from services.payment.domain.transaction import Transaction
from shared.contracts import events as contracts
from shared.contracts.integration_event import IntegrationEvent
from shared.contracts.values import Money
from shared.eventstore.port import UnitOfWork


async def follow_up(
    uow: UnitOfWork, txn: Transaction, at: datetime, *, index_reference: bool = True, owner: str | None = None
) -> None:
    """Publish and book-keep what `txn`'s pending events say (call once per unit of work).

    The order is read only when its reservations change. `index_reference=False` for a gateway that
    does not leave the process: it sends no webhook that would need its reference looked up.
    `owner`: the process holding the transaction without a lock (`TransactionLocks.owned`), named
    in its `open_transactions` row when this unit opens it.
    """
    pending = txn.peek_pending()
    if not pending:
        return
    for event in pending:
        match event:
            case TransactionAuthorized(amount=amount):
                _publish(uow, txn, contracts.PaymentAuthorized(**_fact(txn, amount)))
            case TransactionCaptured(amount=amount):
                _publish(uow, txn, contracts.PaymentCaptured(**_fact(txn, amount)))
                if amount != txn.amount:  # the reservation holds the amount asked until a capture settles it
                    (await _order(uow, txn)).settle(txn.id, amount, at)
            case TransactionFailed(reason=reason, code=code):
                _publish(uow, txn, contracts.PaymentFailed(**_fact(txn, txn.amount), reason=reason or code))
                (await _order(uow, txn)).release(txn.id, at)
            case StockAllocationRefused():
                (await _order(uow, txn)).release(txn.id, at)  # nothing was allocated, so nothing to announce
            case TransactionRefunded(amount=amount, refunded_total=total):
                fully = total >= txn.captured
                refunded = contracts.PaymentRefunded(
                    **_fact(txn, amount), refunded_total=total, fully_refunded=fully
                )
                _publish(uow, txn, refunded)
            case TransactionCancelled():
                _publish(uow, txn, contracts.PaymentCancelled(**_fact(txn, txn.authorized or txn.amount)))
                (await _order(uow, txn)).release(txn.id, at)
            case GatewayReferenceRecorded(reference=reference) if index_reference:
                await uow.adapter(TRANSACTION_INDEX).reference_recorded(reference, txn.id)
    await _index(uow, txn, at, owner)


async def _order(uow: UnitOfWork, txn: Transaction) -> PayableOrder:
    return await uow.load(PayableOrder, txn.order_id)  # read once: the unit of work tracks it


class _Fact(TypedDict):
    order_id: str
    transaction_id: str
    gateway: str
    amount: Money


def _fact(txn: Transaction, amount: int) -> _Fact:
    return {
        "order_id": txn.order_id,
        "transaction_id": txn.id,
        "gateway": txn.gateway,
        "amount": Money(amount=amount, currency=txn.currency),
    }


def _publish(uow: UnitOfWork, txn: Transaction, event: IntegrationEvent) -> None:
    uow.publish(event, key=txn.order_id, aggregate_id=txn.id, aggregate_version=txn.current_version)


async def _index(uow: UnitOfWork, txn: Transaction, at: datetime, owner: str | None) -> None:
    """Keep `open_transactions` to the transactions the reconciler may have to finish: a row from
    the unit of work that opens one (`since`) to the one that settles it."""
    if txn.unfinished and not txn.was_unfinished:
        await uow.adapter(TRANSACTION_INDEX).opened(txn.id, txn.order_id, txn.gateway, at, owner)
    elif txn.was_unfinished and not txn.unfinished:
        await uow.adapter(TRANSACTION_INDEX).closed(txn.id)
