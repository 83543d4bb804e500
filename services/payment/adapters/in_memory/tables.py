"""The payment's own tables in memory, per unit of work: what a unit writes is staged and applied
once it commits (`uow.after_commit`), so it lands with the unit's events or not at all; reads see
what was committed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from services.payment.application.ports import TRANSACTION_INDEX, WEBHOOK_INBOX, OpenTransaction
from services.payment.domain.transaction import Transaction
from shared.eventstore.in_memory import InMemoryDatabase, InMemoryUnitOfWork


@dataclass
class PaymentTables:
    """What was committed: `open_transactions` and `gateway_references`."""

    open: dict[str, OpenTransaction] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)


class InMemoryTransactionIndex:
    """`ports.TransactionIndex` on `PaymentTables`."""

    def __init__(self, tables: PaymentTables, uow: InMemoryUnitOfWork) -> None:
        self._tables = tables
        self._uow = uow

    def _stage(self, change: Any) -> None:
        self._uow.after_commit(change)

    async def opened(
        self, transaction_id: str, order_id: str, gateway: str, since: datetime, owner: str | None = None
    ) -> None:
        row = OpenTransaction(transaction_id, order_id, gateway, since, owner)
        self._stage(lambda: self._tables.open.__setitem__(transaction_id, row))

    async def closed(self, transaction_id: str) -> None:
        self._stage(lambda: self._tables.open.pop(transaction_id, None))

    async def oldest_open(self, limit: int) -> list[OpenTransaction]:
        return sorted(self._tables.open.values(), key=lambda row: row.since)[:limit]

    async def reference_recorded(self, reference: str, transaction_id: str) -> None:
        self._stage(lambda: self._tables.references.setdefault(reference, transaction_id))

    async def transaction_of(self, reference: str) -> str | None:
        return self._tables.references.get(reference)


class InMemoryWebhookInbox:
    """`ports.WebhookInbox` on the in-memory store's inbox: the notification's row is written with
    the unit (`record_inbox`), and a row written meanwhile by another unit fails it as a conflict,
    whose re-run then finds the notification delivered."""

    def __init__(self, database: InMemoryDatabase, uow: InMemoryUnitOfWork) -> None:
        self._database = database
        self._uow = uow

    async def first_delivery(self, consumer: str, event_id: UUID) -> bool:
        if (consumer, event_id) in self._database.store.inbox:
            return False
        self._uow.record_inbox(consumer, [event_id], [consumer])
        return True


class InMemoryTransactionReads:
    """`ports.TransactionReads` on the in-memory store."""

    def __init__(self, database: InMemoryDatabase) -> None:
        self._database = database

    async def read_each(self, transaction_ids: Sequence[str]) -> list[Transaction]:
        return [await self._database.read(Transaction, transaction_id) for transaction_id in transaction_ids]


def provide_tables(database: InMemoryDatabase) -> PaymentTables:
    """The payment's per-unit adapters on `database`; returns the tables they keep."""
    tables = PaymentTables()
    database.adapters.provide(TRANSACTION_INDEX, lambda uow: InMemoryTransactionIndex(tables, uow))
    database.adapters.provide(WEBHOOK_INBOX, lambda uow: InMemoryWebhookInbox(database, uow))
    return tables
