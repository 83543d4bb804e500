"""Units of work on a given connection (the one holding a transaction's lock), with retries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from shared.domain.aggregate import Aggregate
from shared.eventstore.database import DbConnection
from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.port import UnitOfWork
from shared.eventstore.unit_of_work import Database, NeedsTransaction

T = TypeVar("T")


async def run_on(
    database: Database,
    conn: DbConnection | None,
    command: Callable[[UnitOfWork], Awaitable[T]],
    *,
    known: tuple[Aggregate, ...] = (),
    attempts: int = 8,
) -> T:
    """Like `Database.run`, but on `conn` when given: written in one statement unless the command
    asks for the connection (then in a transaction, from then on), and re-run from a fresh read on a
    conflict (a webhook or the consumer may write the same transaction concurrently).

    `known`: aggregates this request has just read or written, as committed (no pending events).
    The first attempt works on them instead of reading them again (its `uow.load` returns them);
    their appends still state the version they were read at, so if another writer got there first
    the append conflicts and the next attempt reads them afresh. No weaker than reading them in the
    transaction: at READ COMMITTED that read, too, shows what was committed when it ran, and only
    the versioned appends make a decision stick.
    """
    attempt = 1
    while True:
        one_statement = database.in_one_statement(command)
        try:
            async with database.unit_of_work(conn, one_statement=one_statement) as uow:
                if attempt == 1:
                    for aggregate in known:
                        assert not aggregate.peek_pending(), "a known aggregate is as committed"
                        uow.add(aggregate)
                return await command(uow)
        except NeedsTransaction:  # it asked for the connection: in a transaction, from a fresh read
            database.needs_transaction(command)
        except ConcurrencyError:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.002 * attempt)
        attempt += 1
