"""Reading transactions from the event store: the source of truth, so reads never lag writes.

Each read is one statement on the pool, with no transaction around it (`Database.read`).
"""

from __future__ import annotations

from services.payment.domain.errors import TransactionNotFound
from services.payment.domain.payable_order import PayableOrder
from services.payment.domain.transaction import Transaction
from shared.eventstore.aggregate_reader import stream_id_of
from shared.eventstore.unit_of_work import Database


async def load_transaction(database: Database, order_id: str, transaction_id: str) -> Transaction:
    """The order's transaction, or a 404 (also for another order's transaction id)."""
    txn = await database.read(Transaction, transaction_id)
    if not txn.exists or txn.order_id != order_id:
        raise TransactionNotFound(transaction_id)
    return txn


async def order_transactions(database: Database, order: PayableOrder) -> list[Transaction]:
    """Every payment attempt on the (opened) order, oldest first: all their streams in one read."""
    stream_ids = {txn_id: stream_id_of(Transaction, txn_id) for txn_id in order.transaction_ids}
    if not stream_ids:
        return []
    streams = await database.store.read_streams(database.pool, list(stream_ids.values()))
    load = Transaction.registry.load
    return [
        Transaction.rehydrate(
            txn_id, [load(r.event_type, r.schema_version, r.data) for r in streams[stream_id]]
        )
        for txn_id, stream_id in stream_ids.items()
    ]
