"""Projections: kept live from the log, and rebuilt from the event store to the same rows."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any, ClassVar

import asyncpg
import pytest

from shared.eventstore.database import DbConnection, connect
from shared.eventstore.port import UnitOfWork
from shared.eventstore.positions import LOG_START, LogPosition
from shared.eventstore.store import EventStore, RecordedEvent
from shared.eventstore.unit_of_work import Database
from shared.projections.projection import Projected, Projection
from shared.projections.rebuild import rebuild_projection
from shared.projections.runner import ProjectionRunner, plan_by_key, read_checkpoint, reset_checkpoint
from tests.kernel.apps.ledger_service import LEDGER_EVENTS, Account, AccountCredited
from tests.support.polling import poll_until


class Balances(Projection):
    name: ClassVar[str] = "balances"
    registry = LEDGER_EVENTS
    event_types = frozenset({"AccountCredited"})

    def ddl(self, schema: str) -> list[str]:
        return [
            f'CREATE TABLE IF NOT EXISTS "{schema}".balances ('
            " account text PRIMARY KEY, balance bigint NOT NULL, credits integer NOT NULL,"
            " last_version integer NOT NULL)"
        ]

    async def apply(self, conn: DbConnection, schema: str, event: Projected) -> None:
        assert isinstance(event.event, AccountCredited)
        await conn.execute(
            f'INSERT INTO "{schema}".balances AS b VALUES ($1, $2, 1, $3)'  # noqa: S608
            " ON CONFLICT (account) DO UPDATE SET balance = b.balance + EXCLUDED.balance,"
            " credits = b.credits + 1, last_version = EXCLUDED.last_version",
            event.stream_id,
            event.event.amount,
            event.version,
        )


async def credit_randomly(database: Database, accounts: int, credits: int) -> None:
    async def one() -> None:
        account_id = f"a{random.randrange(accounts)}"

        async def command(uow: UnitOfWork) -> None:
            account = await uow.load(Account, account_id)
            account.credit(random.randint(1, 1000), "c")

        await database.run(command)

    for _ in range(credits // 10):
        await asyncio.gather(*(one() for _ in range(10)))


async def last_written(database: Database) -> LogPosition:
    """The log position of the last event committed so far. Not `EventStore.head`: that stops before
    any transaction still running, and the runner's own batch transaction (which may have started
    before the last writes) is one, so waiting for `head` could return with those writes unapplied."""
    row = await database.pool.fetchrow(
        "SELECT transaction_id, position FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1"
    )
    assert row is not None
    return LogPosition(row["transaction_id"], row["position"])


async def rows(database: Database) -> list[tuple[object, ...]]:
    records = await database.pool.fetch("SELECT * FROM proj_balances.balances ORDER BY account")
    return [tuple(r) for r in records]


async def expected_rows(database: Database) -> list[tuple[object, ...]]:
    """The same read model folded independently, straight from the event store."""
    totals: dict[str, list[int]] = {}
    for event in await EventStore().read_log(database.pool, limit=1_000_000):
        entry = totals.setdefault(event.stream_id, [0, 0, 0])
        entry[0] += event.data["amount"]
        entry[1] += 1
        entry[2] = event.version
    return [(account, *values) for account, values in sorted(totals.items())]


async def test_a_rebuilt_projection_equals_the_live_one_row_for_row_while_reads_continue(database: Database):
    runner = ProjectionRunner(database.dsn, database.pool, Balances(), batch_size=50)
    await runner.setup()
    live = asyncio.create_task(runner.run())
    try:
        await credit_randomly(database, accounts=40, credits=600)
        assert await runner.wait_until(await last_written(database), timeout=30)
        built_live = await rows(database)
        assert len(built_live) == 40 and built_live == await expected_rows(database)

        answered = 0
        stop_reading = asyncio.Event()

        async def keep_reading() -> None:
            nonlocal answered
            while not stop_reading.is_set():
                assert len(await rows(database)) == 40  # never a half-built or missing model
                answered += 1
                await asyncio.sleep(0)

        reader = asyncio.create_task(keep_reading())
        progress: list[int] = []
        report = await rebuild_projection(
            database.pool, Balances(), batch_size=100, progress=lambda n, _: progress.append(n)
        )
        stop_reading.set()
        await reader
        assert report.events == 600 and progress[-1] == 600
        assert answered > 0
        assert await rows(database) == built_live

        # Writes during a rebuild are neither lost nor doubled.
        writing = asyncio.create_task(credit_randomly(database, accounts=40, credits=300))
        await asyncio.sleep(0.05)
        await rebuild_projection(database.pool, Balances(), batch_size=50)
        await writing
        assert await runner.wait_until(await last_written(database), timeout=30)
        # The rebuild swapped the table under the live runner: give it a deadline, not 0.2 s, to
        # show every write once.
        expected = await expected_rows(database)
        assert await poll_until(lambda: rows(database), lambda seen: seen == expected, timeout=30) == expected
    finally:
        live.cancel()


async def test_wait_until_gives_read_your_writes(database: Database):
    runner = ProjectionRunner(database.dsn, database.pool, Balances())
    await runner.setup()
    live = asyncio.create_task(runner.run())
    try:
        for i in range(20):
            async with database.unit_of_work() as uow:
                account = await uow.load(Account, f"ryw{i}")
                account.credit(i + 1, "c")
            assert await runner.wait_until(await last_written(database), timeout=30)  # busy machine
            balance = await database.pool.fetchval(
                "SELECT balance FROM proj_balances.balances WHERE account = $1", f"account-ryw{i}"
            )
            assert balance == i + 1
    finally:
        live.cancel()


class BalancesV2(Balances):
    """The same tables with rows that mean something else: a model written by `Balances` is stale."""

    version: ClassVar[int] = 2


async def stored_shape(database: Database, name: str) -> str:
    query = "SELECT shape FROM projection_checkpoints WHERE projection = $1"
    shape = await database.pool.fetchval(query, name)
    assert isinstance(shape, str)
    return shape


async def test_a_model_written_in_another_shape_is_built_again_from_the_log(database: Database):
    await credit_randomly(database, accounts=5, credits=50)
    old = ProjectionRunner(database.dsn, database.pool, Balances())
    await old.setup()
    await old.catch_up()
    assert await stored_shape(database, "balances") == Balances().shape
    await database.pool.execute("UPDATE proj_balances.balances SET balance = -1")  # marks the old rows

    same = ProjectionRunner(database.dsn, database.pool, Balances())
    await same.setup()  # the same shape: kept, and followed from its checkpoint
    assert same.position == old.position
    assert {r[1] for r in await rows(database)} == {-1}

    assert BalancesV2().shape != Balances().shape
    upgraded = ProjectionRunner(database.dsn, database.pool, BalancesV2())
    await upgraded.setup()
    assert await rows(database) == []  # dropped, not written into
    assert await stored_shape(database, "balances") == BalancesV2().shape
    await upgraded.catch_up()
    assert await rows(database) == await expected_rows(database)


async def test_a_rebuild_records_the_shape_it_wrote(database: Database):
    await credit_randomly(database, accounts=3, credits=20)
    runner = ProjectionRunner(database.dsn, database.pool, Balances())
    await runner.setup()
    await rebuild_projection(database.pool, BalancesV2())
    assert await stored_shape(database, "balances") == BalancesV2().shape
    assert await rows(database) == await expected_rows(database)


class CountedBalances(Balances):
    """Balances that count the batches they fold."""

    def __init__(self) -> None:
        self.batches = 0

    async def apply_batch(self, conn: DbConnection, schema: str, events: Sequence[RecordedEvent]) -> None:
        self.batches += 1
        await super().apply_batch(conn, schema, events)


async def test_commits_in_quick_succession_are_folded_in_fewer_steps(database: Database):
    """A runner woken by every commit steps at most once per `spacing`: under load one batch folds
    many commits (its read, checkpoint and transaction paid once), and nothing is left unfolded."""
    projection = CountedBalances()
    runner = ProjectionRunner(
        database.dsn,
        database.pool,
        projection,
        signals=database.signals,
        coalesce=0.0,
        spacing=1.0,
        poll_interval=30,
    )
    await runner.setup()
    live = asyncio.create_task(runner.run())
    try:
        for i in range(20):
            async with database.unit_of_work() as uow:
                account = await uow.load(Account, "quick")
                account.credit(i + 1, "c")
            await asyncio.sleep(0.02)  # each commit's wake-up would be a step of its own
        target = await last_written(database)
        await poll_until(lambda: runner.position, lambda position: position >= target, timeout=30)
        balance = await database.pool.fetchval(
            "SELECT balance FROM proj_balances.balances WHERE account = 'account-quick'"
        )
        assert balance == sum(range(1, 21))
        assert 1 <= projection.batches <= 5  # each of 20 commits wakes it: a batch each, unspaced
    finally:
        live.cancel()


class FailsOnce(Balances):
    """Balances whose first fold fails (a bug, a lost connection): the batch must leave nothing."""

    failures: ClassVar[int] = 1

    async def apply(self, conn: DbConnection, schema: str, event: Projected) -> None:
        await super().apply(conn, schema, event)
        if FailsOnce.failures:  # a write made, then the failure
            FailsOnce.failures -= 1
            raise RuntimeError("the fold failed")


async def test_a_batch_that_fails_writes_nothing_and_is_folded_again(database: Database):
    """The model's writes and the checkpoint's move are one transaction: a failure rolls both back,
    and the runner folds the same events again."""
    runner = ProjectionRunner(database.dsn, database.pool, FailsOnce(), batch_size=50)
    await runner.setup()
    await credit_randomly(database, accounts=5, credits=20)
    with pytest.raises(RuntimeError, match="the fold failed"):
        await runner.apply_batch()
    assert await rows(database) == []
    assert await read_checkpoint(database.pool, "balances") == LOG_START
    assert await runner.catch_up() == 20
    assert await rows(database) == await expected_rows(database)
    assert await read_checkpoint(database.pool, "balances") == await last_written(database)


async def test_a_checkpoint_moved_elsewhere_rolls_the_batch_back_and_the_runner_follows_it(
    database: Database,
):
    """Someone else (a rebuild) moved the stored checkpoint: the batch writes nothing, and the
    runner goes on from the checkpoint it finds."""
    runner = ProjectionRunner(database.dsn, database.pool, Balances(), batch_size=50)
    await runner.setup()
    await credit_randomly(database, accounts=5, credits=20)
    head = await last_written(database)
    async with database.pool.acquire() as conn:
        await reset_checkpoint(conn, Balances(), head)  # as a rebuild that folded everything would
    assert await runner.apply_batch() == 20
    assert await rows(database) == []  # rolled back: the model is the rebuild's to fill
    assert runner.position == head
    await credit_randomly(database, accounts=5, credits=10)
    await runner.catch_up()
    assert sum(row[2] for row in await rows(database)) == 10  # only what came after the move


async def test_a_batch_is_one_transaction_its_read_included(database: Database):
    """The log is read inside the transaction that writes the model and moves the checkpoint: one
    commit a batch (PostgreSQL counts a read outside a transaction as a commit of its own)."""
    runner = ProjectionRunner(database.dsn, database.pool, Balances(), batch_size=50)
    await runner.setup()
    await credit_randomly(database, accounts=3, credits=10)
    read_log = runner._store.read_log
    read_in_transaction: list[bool] = []

    async def observed(conn: Any, after: LogPosition, limit: int, types: Any) -> list[RecordedEvent]:
        read_in_transaction.append(conn.is_in_transaction())
        return await read_log(conn, after, limit, types)

    runner._store.read_log = observed  # type: ignore[method-assign]
    assert await runner.apply_batch() == 10
    assert read_in_transaction == [True]
    assert await rows(database) == await expected_rows(database)
    assert await read_checkpoint(database.pool, "balances") == await last_written(database)


async def test_a_commit_behind_a_running_transaction_is_stepped_to_again_without_waiting(
    database: Database,
):
    """A commit of this process the log cannot show yet (an older transaction still runs) is not
    waited for inside the step, asking the server every few milliseconds: the step ends with the
    runner's wake-up set, so the loop steps again after its spacing, and that step folds it."""
    runner = ProjectionRunner(database.dsn, database.pool, Balances(), signals=database.signals)
    await runner.setup()
    older = await asyncpg.connect(database.dsn)
    try:
        await older.execute("BEGIN")
        await older.fetchval("SELECT pg_current_xact_id()")  # a transaction id: the log stops before it
        async with database.unit_of_work() as uow:
            account = await uow.load(Account, "behind")
            account.credit(7, "c")
        async with database.pool.acquire() as conn:
            runner._wake.clear()
            assert await asyncio.wait_for(runner._step(conn), 0.5) is False
            assert runner._wake.is_set() and runner.position < await last_written(database)
            await older.execute("ROLLBACK")
            assert await runner._step(conn) is False
    finally:
        await older.close()
    assert runner.position == await last_written(database)
    assert await rows(database) == await expected_rows(database)


class SettingsSeen(Balances):
    """Balances that notes the planner setting of the session it folds on."""

    def __init__(self) -> None:
        self.seqscan: list[str] = []

    async def apply_batch(self, conn: DbConnection, schema: str, events: Sequence[RecordedEvent]) -> None:
        self.seqscan.append(await conn.fetchval("SHOW enable_seqscan"))
        await super().apply_batch(conn, schema, events)


async def test_a_running_projection_folds_on_a_session_that_plans_by_key(database: Database):
    projection = SettingsSeen()
    runner = ProjectionRunner(database.dsn, database.pool, projection, signals=database.signals)
    await runner.setup()
    live = asyncio.create_task(runner.run())
    try:
        async with database.unit_of_work() as uow:
            (await uow.load(Account, "planned")).credit(5, "c")
        assert await runner.wait_until(await last_written(database), timeout=30)
        assert projection.seqscan and set(projection.seqscan) == {"off"}
    finally:
        live.cancel()


_BATCH_UPDATE = (
    "PREPARE batch_update(text[], int[]) AS UPDATE grown AS g SET n = u.n"
    " FROM unnest($1::text[], $2::int[]) AS u(id, n) WHERE g.id = u.id AND g.id = ANY($1::text[])"
)


async def plan_once_grown(conn: asyncpg.Connection) -> str:
    """The plan a session keeps for a keyed batch update it planned while the table held a few rows,
    once the table holds 20,000 (a generic plan, as a session settles on after a few executions;
    autovacuum never analyzes a temporary table, so nothing replans it)."""
    await conn.execute("SET plan_cache_mode = force_generic_plan")
    await conn.execute("CREATE TEMPORARY TABLE grown (id text PRIMARY KEY, n integer NOT NULL)")
    await conn.execute("INSERT INTO grown SELECT 'first-' || i, 0 FROM generate_series(1, 5) AS i")
    await conn.execute("ANALYZE grown")
    await conn.execute(_BATCH_UPDATE)
    await conn.execute("EXECUTE batch_update('{a}', '{1}')")
    await conn.execute("INSERT INTO grown SELECT 'o-' || i, 0 FROM generate_series(1, 20000) AS i")
    plan = await conn.fetch("EXPLAIN EXECUTE batch_update('{o-1,o-2}', '{1,2}')")
    return "\n".join(row[0] for row in plan)


async def test_a_table_planned_small_is_looked_up_by_key_once_grown(database: Database):
    """Why runners plan by key: a generic plan made while the table was small scans it whole for ever."""
    plans = []
    for by_key in (False, True):
        conn = await connect(database.dsn)
        try:
            if by_key:
                await plan_by_key(conn)
            plans.append(await plan_once_grown(conn))
        finally:
            await conn.close()
    default, by_key_plan = plans
    assert "Seq Scan on grown" in default, default
    assert "Seq Scan on grown" not in by_key_plan and "grown_pkey" in by_key_plan, by_key_plan
