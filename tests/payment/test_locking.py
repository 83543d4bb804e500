"""A transaction's lock never outlives its holder, though the sessions pool hands connections back
without asyncpg's reset query: the lock is released on the way out, or its connection is closed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from services.payment.adapters.postgres.locking import transaction_lock
from shared.eventstore.database import create_pool

_HELD = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
_TRY = "SELECT pg_try_advisory_lock(hashtextextended($1::text, 0))"


@pytest.fixture(scope="module")
async def dsn(postgres: Any) -> str:
    name = f"payment_locks_{uuid4().hex[:8]}"
    await postgres.create_database(name)
    url: str = postgres.dsn(name)
    return url


@pytest.fixture
async def sessions(dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(dsn, min_size=1, max_size=1, session_state=False)  # one connection, reused
    yield pool
    await pool.close()


async def _free(dsn: str, transaction_id: str) -> bool:
    """Whether another session can take the lock now (it lets it go again at once)."""
    other = await asyncpg.connect(dsn)
    try:
        return bool(await other.fetchval(_TRY, transaction_id))
    finally:
        await other.close()


async def _locks_of_pooled_connection(sessions: asyncpg.Pool) -> int:
    async with sessions.acquire() as conn:
        held: int = await conn.fetchval(_HELD + " AND pid = pg_backend_pid()")
        return held


async def test_the_lock_is_released_however_the_operation_ends(sessions: asyncpg.Pool, dsn: str) -> None:
    txn = str(uuid4())
    async with transaction_lock(sessions, txn, wait=0):
        assert not await _free(dsn, txn)
    assert await _free(dsn, txn)
    assert await _locks_of_pooled_connection(sessions) == 0

    with pytest.raises(RuntimeError):
        async with transaction_lock(sessions, txn, wait=0):
            raise RuntimeError("the operation failed")
    assert await _free(dsn, txn)
    assert await _locks_of_pooled_connection(sessions) == 0

    entered = asyncio.Event()

    async def hold() -> None:
        async with transaction_lock(sessions, txn, wait=0):
            entered.set()
            await asyncio.sleep(60)

    holder = asyncio.create_task(hold())
    await entered.wait()
    holder.cancel()  # a client gone away, a shutdown
    with pytest.raises(asyncio.CancelledError):
        await holder
    assert await _free(dsn, txn)
    assert await _locks_of_pooled_connection(sessions) == 0


async def test_a_connection_that_cannot_unlock_is_closed_not_reused(sessions: asyncpg.Pool, dsn: str) -> None:
    txn = str(uuid4())
    async with sessions.acquire() as conn:
        first_pid = conn.get_server_pid()
    with pytest.raises(asyncpg.InFailedSQLTransactionError):
        async with transaction_lock(sessions, txn, wait=0) as conn:
            await conn.execute("BEGIN")  # left open and aborted: the unlock statement cannot run
            with contextlib.suppress(asyncpg.DivisionByZeroError):
                await conn.execute("SELECT 1 / 0")

    assert await _free(dsn, txn)  # the session ended, and its lock with it
    async with sessions.acquire() as conn:
        assert conn.get_server_pid() != first_pid
        assert await conn.fetchval(_HELD + " AND pid = pg_backend_pid()") == 0
