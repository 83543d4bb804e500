"""Reading transactions from the event store: the source of truth, so reads never lag writes."""

from __future__ import annotations

from services.payment.application.orders import wait_for_order
from services.payment.domain.errors import TransactionNotFound
from services.payment.domain.transaction import Transaction
from shared.eventstore.database import DbConnection
from shared.eventstore.unit_of_work import Database


async def load_transaction(
    database: Database, order_id: str, transaction_id: str, conn: DbConnection | None = None
) -> Transaction:
    """The order's transaction, or a 404 (also for another order's transaction id)."""
    async with database.unit_of_work(conn) as uow:
        txn = await uow.load(Transaction, transaction_id)
    if not txn.exists or txn.order_id != order_id:
        raise TransactionNotFound(transaction_id)
    return txn


async def order_transactions(database: Database, order_id: str, *, wait: float) -> list[Transaction]:
    """Every payment attempt on the order, oldest first (404 for an order never checked out)."""
    order = await wait_for_order(database, order_id, timeout=wait)
    async with database.unit_of_work() as uow:
        return [await uow.load(Transaction, txn_id) for txn_id in order.transaction_ids]


async def order_transaction(
    database: Database, order_id: str, transaction_id: str, *, wait: float
) -> Transaction:
    await wait_for_order(database, order_id, timeout=wait)
    return await load_transaction(database, order_id, transaction_id)
