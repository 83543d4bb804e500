"""Units of work written in one statement (`kernel_commit`): all or nothing across streams, conflicts
still conflicts, and a command that needs its connection runs in a transaction instead."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import asyncpg
import pytest

from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.port import UnitOfWork
from shared.eventstore.unit_of_work import Database, NeedsTransaction
from tests.kernel.apps.ledger_service import Account
from tests.order.builders import checkout
from tests.support.polling import poll_until


async def _version(database: Database, stream_id: str) -> int:
    return await database.store.stream_version(database.pool, stream_id)


async def _transactions_of(database: Database, *stream_ids: str) -> int:
    return int(
        await database.pool.fetchval(
            "SELECT count(DISTINCT transaction_id) FROM events WHERE stream_id = ANY($1)", list(stream_ids)
        )
    )


async def test_every_stream_and_outbox_row_of_a_unit_commit_together(database: Database):
    async def credit_both(uow: UnitOfWork) -> None:
        for name in ("a", "b"):
            account = await uow.load(Account, name)
            account.credit(5, "c1")
            account.credit(7, "c2")
        uow.publish(checkout("o-1"), key="o-1", aggregate_id="o-1")

    await database.run(credit_both)

    assert database.in_one_statement(credit_both)
    assert (await _version(database, "account-a"), await _version(database, "account-b")) == (2, 2)
    assert await _transactions_of(database, "account-a", "account-b") == 1
    assert await database.pool.fetchval("SELECT count(*) FROM outbox") == 1


async def test_a_stale_stream_writes_nothing_of_the_unit(database: Database):
    async def credit(uow: UnitOfWork) -> None:
        (await uow.load(Account, "b")).credit(1, "first")

    await database.run(credit)

    with pytest.raises(ConcurrencyError):
        async with database.unit_of_work(one_statement=True) as uow:
            (await uow.load(Account, "a")).credit(1, "x")
            stale = await uow.load(Account, "b")
            await database.run(credit)  # someone else moves b on meanwhile
            stale.credit(1, "y")

    assert await _version(database, "account-a") == 0  # not half-written
    assert await _version(database, "account-b") == 2


async def test_racing_writers_of_one_stream_all_land_once(database: Database):
    async def credit(uow: UnitOfWork) -> None:
        (await uow.load(Account, "hot")).credit(1, "c")

    await asyncio.gather(*(database.run(credit) for _ in range(20)))

    assert await _version(database, "account-hot") == 20
    balance = (await database.read(Account, "hot")).balance
    assert balance == 20


async def test_a_command_that_needs_its_connection_runs_in_a_transaction_from_then_on(database: Database):
    await database.pool.execute("CREATE TABLE IF NOT EXISTS side_rows (account text PRIMARY KEY)")

    async def credit_and_index(uow: UnitOfWork) -> None:
        account = await uow.load(Account, "indexed")
        account.credit(3, "c")
        await uow.connection.execute(
            "INSERT INTO side_rows VALUES ($1) ON CONFLICT DO NOTHING", f"indexed-{account.current_version}"
        )

    await database.run(credit_and_index)
    await database.run(credit_and_index)

    assert not database.in_one_statement(credit_and_index)
    assert await _version(database, "account-indexed") == 2
    rows = await database.pool.fetch("SELECT account FROM side_rows ORDER BY account")
    assert [r["account"] for r in rows] == ["indexed-1", "indexed-2"]


_SIDE_ROW = "INSERT INTO side_rows VALUES ($1::jsonb ->> 0) ON CONFLICT DO NOTHING"


async def test_index_rows_written_with_the_unit_commit_with_it_in_one_statement(database: Database):
    """`uow.write`: the service's own rows go into the unit's one statement, all or nothing with its
    appends, and the command never needs a transaction."""
    await database.pool.execute("CREATE TABLE IF NOT EXISTS side_rows (account text PRIMARY KEY)")

    async def credit_and_index(uow: UnitOfWork) -> None:
        account = await uow.load(Account, "written")
        account.credit(3, "c")
        await uow.write(_SIDE_ROW, f"written-{account.current_version}")

    await database.run(credit_and_index)
    await database.run(credit_and_index)
    assert database.in_one_statement(credit_and_index)

    with pytest.raises(ConcurrencyError):  # a stale unit writes neither its events nor its rows
        async with database.unit_of_work(one_statement=True) as uow:
            stale = await uow.load(Account, "written")
            await database.run(credit_and_index)
            stale.credit(1, "late")
            await uow.write(_SIDE_ROW, "written-stale")

    async with database.unit_of_work() as uow:  # in a transaction, the same statement runs at once
        await uow.write(_SIDE_ROW, "in-a-transaction")

    assert await _version(database, "account-written") == 3
    rows = await database.pool.fetch("SELECT account FROM side_rows ORDER BY account")
    assert [r["account"] for r in rows] == ["in-a-transaction", "written-1", "written-2", "written-3"]


async def test_a_one_statement_unit_refuses_its_connection(database: Database):
    async with database.unit_of_work(one_statement=True) as uow:
        with pytest.raises(NeedsTransaction):
            _ = uow.connection
        assert await uow.reads.fetchval("SELECT 1") == 1  # reads are fine


async def test_a_connection_broken_at_the_connection_level_is_closed_not_pooled(database: Database):
    """The pool skips asyncpg's reset query, so a connection a dead server left mid-statement must be
    closed by whoever saw it fail, or the next request to take it fails too."""

    async def backends() -> set[int]:
        rows = await database.pool.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        )
        return {r["pid"] for r in rows}

    with pytest.raises(asyncpg.InternalClientError):
        async with database.connection() as conn:
            broken = await conn.fetchval("SELECT pg_backend_pid()")
            raise asyncpg.InternalClientError("cannot switch to state 12; another operation is in progress")
    assert broken not in await poll_until(backends, lambda pids: broken not in pids, timeout=30)

    with pytest.raises(asyncpg.UniqueViolationError):  # a statement's own error keeps the connection
        async with database.connection() as conn:
            kept = await conn.fetchval("SELECT pg_backend_pid()")
            await conn.execute(
                "INSERT INTO inbox (consumer, event_id, topic) VALUES ('c', $1, 't'), ('c', $1, 't')", uuid4()
            )
    assert kept in await backends()


async def test_two_aggregates_read_together_in_one_statement(database: Database):
    """A request needing two aggregates reads both in one round trip (the payment's order and its
    gateway's configuration): each rebuilt from its own stream, a missing one new and empty."""

    async def credit_a(uow: UnitOfWork) -> None:
        (await uow.load(Account, "pair-a")).credit(5, "c1")
        (await uow.load(Account, "pair-a")).credit(7, "c2")

    await database.run(credit_a)

    a, missing = await database.read_pair(Account, "pair-a", Account, "pair-none")

    assert (a.id, a.balance, a.version) == ("pair-a", 12, 2)
    assert (missing.id, missing.balance, missing.version) == ("pair-none", 0, 0)
