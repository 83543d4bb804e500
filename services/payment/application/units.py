"""Units of work on a given connection (the one holding a transaction's lock), with retries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from shared.eventstore.database import DbConnection
from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.unit_of_work import Database, UnitOfWork

T = TypeVar("T")


async def run_on(
    database: Database,
    conn: DbConnection | None,
    command: Callable[[UnitOfWork], Awaitable[T]],
    *,
    attempts: int = 8,
) -> T:
    """Like `Database.run`, but on `conn` when given: re-run from a fresh read on a conflict
    (a webhook or the consumer may write the same transaction concurrently)."""
    for attempt in range(1, attempts + 1):
        try:
            async with database.unit_of_work(conn) as uow:
                return await command(uow)
        except ConcurrencyError:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.002 * attempt)
    raise AssertionError("unreachable")
