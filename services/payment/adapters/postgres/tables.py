"""The payment's own tables (`adapters/tables.py`) behind the application's ports, on the unit of
work's connection, so what they write commits with the unit's events or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from services.payment.application.ports import TRANSACTION_INDEX, WEBHOOK_INBOX, OpenTransaction
from services.payment.domain.transaction import Transaction
from shared.eventstore.aggregate_reader import stream_id_of
from shared.eventstore.unit_of_work import Database, PostgresUnitOfWork

# Written with the unit's events (`PostgresUnitOfWork.write`: the arguments are one jsonb array), so
# a unit of work that indexes its transaction still commits in one statement.
_OPEN = """
INSERT INTO open_transactions (transaction_id, order_id, gateway, since, owner)
VALUES ($1::jsonb ->> 0, $1::jsonb ->> 1, $1::jsonb ->> 2, ($1::jsonb ->> 3)::timestamptz, $1::jsonb ->> 4)
ON CONFLICT (transaction_id) DO UPDATE SET since = EXCLUDED.since, owner = EXCLUDED.owner
"""
_CLOSE = "DELETE FROM open_transactions WHERE transaction_id = $1::jsonb ->> 0"
_REFERENCE = """
INSERT INTO gateway_references (reference, transaction_id) VALUES ($1::jsonb ->> 0, $1::jsonb ->> 1)
ON CONFLICT DO NOTHING
"""
_OLDEST_OPEN = (
    "SELECT transaction_id, order_id, gateway, since, owner FROM open_transactions ORDER BY since LIMIT $1"
)
_TRANSACTION_OF = "SELECT transaction_id FROM gateway_references WHERE reference = $1"
_INBOX = (
    "INSERT INTO inbox (consumer, event_id, topic) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING true"
)


class PostgresTransactionIndex:
    """`ports.TransactionIndex` on `open_transactions` and `gateway_references`."""

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    async def opened(
        self, transaction_id: str, order_id: str, gateway: str, since: datetime, owner: str | None = None
    ) -> None:
        await self._uow.write(_OPEN, transaction_id, order_id, gateway, since, owner)

    async def closed(self, transaction_id: str) -> None:
        await self._uow.write(_CLOSE, transaction_id)

    async def oldest_open(self, limit: int) -> list[OpenTransaction]:
        return [OpenTransaction(**row) for row in await self._uow.reads.fetch(_OLDEST_OPEN, limit)]

    async def reference_recorded(self, reference: str, transaction_id: str) -> None:
        await self._uow.write(_REFERENCE, reference, transaction_id)

    async def transaction_of(self, reference: str) -> str | None:
        found: str | None = await self._uow.reads.fetchval(_TRANSACTION_OF, reference)
        return found


class PostgresWebhookInbox:
    """`ports.WebhookInbox` on the kernel's inbox table, in the unit's transaction (the unit asks
    for its connection, so it runs in one)."""

    def __init__(self, uow: PostgresUnitOfWork) -> None:
        self._uow = uow

    async def first_delivery(self, consumer: str, event_id: UUID) -> bool:
        return bool(await self._uow.connection.fetchval(_INBOX, consumer, event_id, consumer))


class PostgresTransactionReads:
    """`ports.TransactionReads`: each one statement on the service's pool, with no transaction."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def read_each(self, transaction_ids: Sequence[str]) -> list[Transaction]:
        stream_ids = {txn_id: stream_id_of(Transaction, txn_id) for txn_id in transaction_ids}
        if not stream_ids:
            return []
        database = self._database
        streams = await database.store.read_streams(database.pool, list(stream_ids.values()))
        load = Transaction.registry.load
        return [
            Transaction.rehydrate(
                txn_id, [load(r.event_type, r.schema_version, r.data) for r in streams[stream_id]]
            )
            for txn_id, stream_id in stream_ids.items()
        ]


def provide_tables(database: Database) -> None:
    """The per-unit adapters of the payment's tables, on the service's database."""
    database.adapters.provide(TRANSACTION_INDEX, PostgresTransactionIndex)
    database.adapters.provide(WEBHOOK_INBOX, PostgresWebhookInbox)
