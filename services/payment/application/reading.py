"""Reading transactions from the event store: the source of truth, so reads never lag writes.

Each read is one statement, with no transaction around it (`EventDatabase.read`,
`TransactionReads.read_each`).
"""

from __future__ import annotations

from services.payment.application.ports import TransactionReads
from services.payment.domain.errors import TransactionNotFound
from services.payment.domain.payable_order import PayableOrder
from services.payment.domain.transaction import Transaction
from shared.eventstore.port import EventDatabase


async def load_transaction(database: EventDatabase, order_id: str, transaction_id: str) -> Transaction:
    """The order's transaction, or a 404 (also for another order's transaction id)."""
    txn = await database.read(Transaction, transaction_id)
    if not txn.exists or txn.order_id != order_id:
        raise TransactionNotFound(transaction_id)
    return txn


async def order_transactions(reads: TransactionReads, order: PayableOrder) -> list[Transaction]:
    """Every payment attempt on the (opened) order, oldest first: all their streams in one read."""
    return await reads.read_each(list(order.transaction_ids))
