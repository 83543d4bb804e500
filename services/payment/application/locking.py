"""One conversation with the gateway per transaction at a time, across every instance.

A PostgreSQL session advisory lock keyed by the transaction id is held for the whole operation
(waiting for stock, calling the gateway, recording the answer). If the process dies, its session
ends and the lock goes with it: whoever takes the lock next and finds a gateway call recorded as
started knows that call's owner is gone, and reconciles it instead of waiting for it.

The sessions pool hands back its connections without a reset query (one round trip, four
statements, on every release), so a connection must never go back to it holding a lock: it goes
back only after `pg_advisory_unlock` answered. When a lock or unlock statement does not complete
(cancelled, the connection broken, an error), the connection is closed instead: its session
ends, and every lock it may hold with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from services.payment.domain.errors import GatewayCallInFlight
from shared.eventstore.database import DbConnection

_TRY_LOCK = "SELECT pg_try_advisory_lock(hashtextextended($1::text, 0))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended($1::text, 0))"


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
