"""`TransactionLocks` in memory: this process's holds (`ProcessHolds`), units on the in-memory database.

What PostgreSQL's session advisory locks promise within one process: one holder of a transaction
at a time, a waiter refused after `wait` seconds (GatewayCallInFlight), a holder that ends (its
task cancelled, as a process dying ends its session) releasing the lock. `owned` is the same hold
(in memory every lock is the process's own), and the only living owner is this one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TypeVar

from services.payment.adapters.process_holds import ProcessHolds
from shared.domain.aggregate import Aggregate
from shared.eventstore.in_memory import InMemoryDatabase
from shared.eventstore.port import UnitOfWork

T = TypeVar("T")


class InMemoryTransactionLocks:
    """`ports.TransactionLocks` in this process's memory."""

    def __init__(self, database: InMemoryDatabase, owner: str = "in-memory") -> None:
        self.database = database
        self.owner = owner
        self.holds = ProcessHolds()

    async def open(self) -> None:
        """Nothing to open."""

    async def close(self) -> None:
        """Nothing to close."""

    def holding(self, transaction_id: str) -> bool:
        """Whether someone holds the transaction now (for tests)."""
        return self.holds.holding(transaction_id)

    @asynccontextmanager
    async def held(self, transaction_id: str, *, wait: float) -> AsyncIterator[InMemoryUnits]:
        async with self.holds.hold(transaction_id, wait=wait):
            yield InMemoryUnits(self.database)

    def owned(self, transaction_id: str, *, wait: float) -> AbstractAsyncContextManager[InMemoryUnits]:
        return self.held(transaction_id, wait=wait)

    @asynccontextmanager
    async def if_free(self, transaction_id: str) -> AsyncIterator[InMemoryUnits | None]:
        async with self.holds.hold_if_free(transaction_id) as free:
            yield InMemoryUnits(self.database) if free else None

    def unlocked(self) -> InMemoryUnits:
        return InMemoryUnits(self.database)

    async def living(self, owners: Iterable[str]) -> set[str]:
        return {owner for owner in owners if owner == self.owner}


class InMemoryUnits:
    """`ports.Units` on the in-memory database (`InMemoryDatabase.run`: the first attempt starts
    from the `known` aggregates, a conflict re-runs the command from a fresh read)."""

    def __init__(self, database: InMemoryDatabase) -> None:
        self.database = database

    async def run(
        self,
        command: Callable[[UnitOfWork], Awaitable[T]],
        *,
        known: tuple[Aggregate, ...] = (),
        attempts: int = 8,
    ) -> T:
        return await self.database.run(command, known=known, attempts=attempts)
