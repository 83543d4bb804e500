"""Transactions held by this process: one asyncio lock per transaction, forgotten once free.

The in-memory `TransactionLocks` are only this; on PostgreSQL it is what `owned` holds. A payment
through a gateway that stays in the process takes no database lock, so its own process is what
knows it is still being worked on: its reconciler asks `holding` before touching it, and other
instances see the process alive (`Presence`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from services.payment.domain.errors import GatewayCallInFlight


class ProcessHolds:
    """One holder of a transaction at a time within this process."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}  # holders and waiters: the lock is dropped when none is left

    def holding(self, transaction_id: str) -> bool:
        lock = self._locks.get(transaction_id)
        return lock is not None and lock.locked()

    def __len__(self) -> int:
        """How many transactions have a holder or a waiter (for tests: none may be left behind)."""
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, transaction_id: str, *, wait: float) -> AsyncIterator[None]:
        """The transaction, waited for up to `wait` seconds (GatewayCallInFlight if still held)."""
        lock = self._use(transaction_id)
        try:
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
                yield
            finally:
                lock.release()
        finally:
            self._done_with(transaction_id)

    @asynccontextmanager
    async def hold_if_free(self, transaction_id: str) -> AsyncIterator[bool]:
        """Held (True) if nobody held it, else False at once."""
        if self.holding(transaction_id):
            yield False
            return
        async with self.hold(transaction_id, wait=0):
            yield True

    def _use(self, transaction_id: str) -> asyncio.Lock:
        self._users[transaction_id] = self._users.get(transaction_id, 0) + 1
        return self._locks.setdefault(transaction_id, asyncio.Lock())

    def _done_with(self, transaction_id: str) -> None:
        left = self._users[transaction_id] - 1
        if left:
            self._users[transaction_id] = left
        else:
            del self._users[transaction_id]
            del self._locks[transaction_id]
