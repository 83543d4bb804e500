"""`TransactionLocks` in memory: one asyncio lock per transaction, units on the in-memory database.

What PostgreSQL's session advisory locks promise within one process: one holder of a transaction
at a time, a waiter refused after `wait` seconds (GatewayCallInFlight), a holder that ends (its
task cancelled, as a process dying ends its session) releasing the lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from services.payment.domain.errors import GatewayCallInFlight
from shared.domain.aggregate import Aggregate
from shared.eventstore.in_memory import InMemoryDatabase
from shared.eventstore.port import UnitOfWork

T = TypeVar("T")


class InMemoryTransactionLocks:
    """`ports.TransactionLocks` in this process's memory."""

    def __init__(self, database: InMemoryDatabase) -> None:
        self.database = database
        self._locks: dict[str, asyncio.Lock] = {}

    async def open(self) -> None:
        """Nothing to open."""

    async def close(self) -> None:
        """Nothing to close."""

    def holding(self, transaction_id: str) -> bool:
        """Whether someone holds the transaction now (for tests)."""
        lock = self._locks.get(transaction_id)
        return lock is not None and lock.locked()

    @asynccontextmanager
    async def held(self, transaction_id: str, *, wait: float) -> AsyncIterator[InMemoryUnits]:
        lock = self._locks.setdefault(transaction_id, asyncio.Lock())
        if lock.locked():
            if wait <= 0:
                raise GatewayCallInFlight(transaction_id)
            try:
                await asyncio.wait_for(lock.acquire(), wait)
            except TimeoutError:
                raise GatewayCallInFlight(transaction_id) from None
        else:
            await lock.acquire()  # free: taken at once, without yielding
        try:
            yield InMemoryUnits(self.database)
        finally:
            lock.release()

    @asynccontextmanager
    async def if_free(self, transaction_id: str) -> AsyncIterator[InMemoryUnits | None]:
        lock = self._locks.setdefault(transaction_id, asyncio.Lock())
        if lock.locked():
            yield None
            return
        await lock.acquire()
        try:
            yield InMemoryUnits(self.database)
        finally:
            lock.release()

    def unlocked(self) -> InMemoryUnits:
        return InMemoryUnits(self.database)


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
