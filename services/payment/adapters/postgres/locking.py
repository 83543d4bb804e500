"""`TransactionLocks` on PostgreSQL: one conversation with the gateway per transaction at a time,
across every instance.

A PostgreSQL session advisory lock keyed by the transaction id is held for the whole operation
(waiting for stock, calling the gateway, recording the answer), and the operation's units of work
run on the connection holding it (`PostgresUnits`). If the process dies, its session ends and the
lock goes with it: whoever takes the lock next and finds a gateway call recorded as started knows
that call's owner is gone, and reconciles it instead of waiting for it.

The locks' connections come from a pool of their own (`sessions`): they hold a transaction's lock
for a whole operation (up to the allocation timeout), and were they taken from the service's pool,
enough waiting payments could starve the consumer that records the replies they wait for. That
pool hands back its connections without a reset query (one round trip, four statements, on every
release), so a connection must never go back to it holding a lock: it goes back only after
`pg_advisory_unlock` answered. When a lock or unlock statement does not complete (cancelled, the
connection broken, an error), the connection is closed instead: its session ends, and every lock
it may hold with it.

A payment through a gateway that stays in the process is held without a database lock (`owned`:
two round trips less a payment): by this process alone (`ProcessHolds`), its index row naming this
process, which `Presence` shows alive to the other instances' reconcilers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TypeVar
from uuid import uuid4

import asyncpg

from services.payment.adapters.postgres.presence import Presence, living
from services.payment.adapters.process_holds import ProcessHolds
from services.payment.domain.errors import GatewayCallInFlight
from shared.domain.aggregate import Aggregate
from shared.eventstore.database import DbConnection, create_pool
from shared.eventstore.port import UnitOfWork
from shared.eventstore.unit_of_work import Database

T = TypeVar("T")
_TRY_LOCK = "SELECT pg_try_advisory_lock(hashtextextended($1::text, 0))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended($1::text, 0))"


class PostgresTransactionLocks:
    """`ports.TransactionLocks`: session advisory locks on connections of the `sessions` pool."""

    def __init__(self, database: Database, *, pool_size: int = 20) -> None:
        self.database = database
        self.pool_size = pool_size
        self.owner = uuid4().hex
        self.holds = ProcessHolds()
        self.presence = Presence(database.dsn, self.owner)
        self._sessions: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._sessions = await create_pool(
            self.database.dsn, min_size=1, max_size=self.pool_size, session_state=False
        )
        await self.presence.open()

    async def close(self) -> None:
        await self.presence.close()
        if self._sessions is not None:
            await self._sessions.close()
            self._sessions = None

    @property
    def sessions(self) -> asyncpg.Pool:
        if self._sessions is None:
            raise RuntimeError("the payment sessions pool is not open")
        return self._sessions

    @asynccontextmanager
    async def held(self, transaction_id: str, *, wait: float) -> AsyncIterator[PostgresUnits]:
        async with transaction_lock(self.sessions, transaction_id, wait=wait) as conn:
            yield PostgresUnits(self.database, conn)

    @asynccontextmanager
    async def owned(self, transaction_id: str, *, wait: float) -> AsyncIterator[PostgresUnits]:
        async with self.holds.hold(transaction_id, wait=wait):
            yield self.unlocked()

    async def living(self, owners: Iterable[str]) -> set[str]:
        return await living(self.database.pool, owners)

    @asynccontextmanager
    async def if_free(self, transaction_id: str) -> AsyncIterator[PostgresUnits | None]:
        if self.holds.holding(transaction_id):  # owned by a request of this process
            yield None
            return
        async with self.sessions.acquire() as conn:
            if not await try_transaction_lock(conn, transaction_id):
                yield None
                return
            try:
                yield PostgresUnits(self.database, conn)
            finally:
                await unlock(conn, transaction_id)

    def unlocked(self) -> PostgresUnits:
        return PostgresUnits(self.database, None)


@asynccontextmanager
async def transaction_lock(
    sessions: asyncpg.Pool, transaction_id: str, *, wait: float
) -> AsyncIterator[DbConnection]:
    """The connection holding the lock (run the operation's units of work on it).

    Raises GatewayCallInFlight (409) when another holder keeps it longer than `wait` seconds.
    """
    async with sessions.acquire() as conn:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while not await try_transaction_lock(conn, transaction_id):
            if loop.time() >= deadline:
                raise GatewayCallInFlight(transaction_id)
            await asyncio.sleep(0.05)
        try:
            yield conn
        finally:
            await unlock(conn, transaction_id)


async def try_transaction_lock(conn: DbConnection, transaction_id: str) -> bool:
    """Take the lock on `conn` only if it is free; release with `unlock`. If the answer does not
    come back, the lock may have been taken: the connection is closed, which releases it."""
    try:
        return bool(await conn.fetchval(_TRY_LOCK, transaction_id))
    except BaseException:
        conn.terminate()
        raise


async def unlock(conn: DbConnection, transaction_id: str) -> None:
    """Release the lock, or close the connection (and with it the lock) if that cannot be done."""
    try:
        await conn.execute(_UNLOCK, transaction_id)
    except BaseException:
        conn.terminate()
        raise


class PostgresUnits:
    """`ports.Units` on `conn` (the connection holding a transaction's lock), or on the pool's."""

    def __init__(self, database: Database, conn: DbConnection | None) -> None:
        self.database = database
        self.conn = conn

    async def run(
        self,
        command: Callable[[UnitOfWork], Awaitable[T]],
        *,
        known: tuple[Aggregate, ...] = (),
        attempts: int = 8,
    ) -> T:
        """`Database.run` on the lock's connection when there is one (else on the pool's)."""
        return await self.database.run(command, known=known, attempts=attempts, conn=self.conn)
