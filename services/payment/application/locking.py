"""One conversation with the gateway per transaction at a time, across every instance.

A PostgreSQL session advisory lock keyed by the transaction id is held for the whole operation
(waiting for stock, calling the gateway, recording the answer). If the process dies, its session
ends and the lock goes with it: whoever takes the lock next and finds a gateway call recorded as
started knows that call's owner is gone, and reconciles it instead of waiting for it.
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
        while not await conn.fetchval(_TRY_LOCK, transaction_id):
            if loop.time() >= deadline:
                raise GatewayCallInFlight(transaction_id)
            await asyncio.sleep(0.05)
        try:
            yield conn
        finally:
            await conn.execute(_UNLOCK, transaction_id)


async def try_transaction_lock(conn: DbConnection, transaction_id: str) -> bool:
    """Take the lock on `conn` only if it is free (for the reconciler); release with `unlock`."""
    return bool(await conn.fetchval(_TRY_LOCK, transaction_id))


async def unlock(conn: DbConnection, transaction_id: str) -> None:
    await conn.execute(_UNLOCK, transaction_id)
