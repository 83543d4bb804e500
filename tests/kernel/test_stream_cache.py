"""The process's stream cache (shared/eventstore/stream_cache.py) against a real PostgreSQL: a unit of
work starts from what this process last committed without reading it again, and nothing decided on a
stale stream sticks, whoever moved it on (here another "process": a second `Database` with a cache of
its own on the same database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.eventstore.port import UnitOfWork
from shared.eventstore.stream_cache import CachedReadSuspect
from shared.eventstore.unit_of_work import Database
from tests.kernel.apps.ledger_service import Account
from tests.support.counted_reads import CountedReads
from tests.support.databases import another_process


@pytest.fixture
async def elsewhere(database: Database) -> AsyncIterator[Database]:
    async with another_process(database) as other:
        yield other


def credit(amount: int, credit_id: str, account_id: str = "a", *, creates: bool = False) -> Any:
    """A command crediting the account; `creates`: as the message that creates the stream would,
    with `load_new` (which may presume it empty)."""

    async def command(uow: UnitOfWork) -> int:
        account = await (uow.load_new if creates else uow.load)(Account, account_id)
        account.credit(amount, credit_id)
        return account.balance

    return command


async def balance_of(database: Database, account_id: str = "a") -> int:
    return (await database.read(Account, account_id)).balance


async def test_a_stream_this_process_committed_is_not_read_again(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await database.run(credit(5, "c1"))
    counted = CountedReads(monkeypatch)
    assert await database.run(credit(7, "c2")) == 12
    assert await database.run(credit(1, "c3")) == 13
    assert counted.reads == 0
    assert await balance_of(database) == 13  # a read-only request reads the store: 1 read
    assert counted.reads == 1


async def test_a_stream_moved_on_elsewhere_is_read_again_and_nothing_is_lost(
    database: Database, elsewhere: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await database.run(credit(5, "c1"))  # cached here at version 1
    await elsewhere.run(credit(100, "c2"))  # the stream moves on behind this process's back
    counted = CountedReads(monkeypatch)
    assert await database.run(credit(7, "c3")) == 112  # the cached append conflicted: read again
    assert counted.reads == 1
    assert await balance_of(elsewhere) == 112


async def test_a_stream_only_read_from_the_cache_is_checked_at_commit(
    database: Database, elsewhere: Database
) -> None:
    """A unit that decides on one stream and writes another: its decision stands only if the stream
    it read is still where the cache had it."""
    await database.run(credit(5, "c1", "source"))
    await elsewhere.run(credit(50, "c2", "source"))

    async def copy_balance(uow: UnitOfWork) -> int:
        source = await uow.load(Account, "source")
        (await uow.load(Account, "copy")).credit(source.balance, "copy")
        return source.balance

    assert await database.run(copy_balance) == 55  # not the cached 5
    assert await balance_of(database, "copy") == 55


async def test_a_failure_decided_on_a_stale_stream_is_decided_again_on_a_fresh_read(
    database: Database, elsewhere: Database
) -> None:
    await database.run(credit(5, "c1"))
    await elsewhere.run(credit(10, "c2"))

    async def needs_ten(uow: UnitOfWork) -> int:
        account = await uow.load(Account, "a")
        if account.balance < 10:
            raise ValueError(f"balance {account.balance} is below 10")
        account.credit(1, "c3")
        return account.balance

    assert await database.run(needs_ten) == 16  # the cache said 5: a refusal, run again from 15


async def test_a_unit_that_only_read_cached_streams_still_raises_a_fresh_refusal(database: Database) -> None:
    await database.run(credit(5, "c1"))

    async def refuses(uow: UnitOfWork) -> None:
        await uow.load(Account, "a")
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        await database.run(refuses)


async def test_aggregates_from_the_cache_share_nothing(database: Database) -> None:
    """Each unit gets an aggregate of its own, rebuilt from the cached records: one changed in
    memory (here without an event, as no command should) changes nothing for the next."""
    await database.run(credit(5, "c1"))
    async with database.unit_of_work(one_statement=True) as uow:
        (await uow.load(Account, "a")).balance = 1_000
    async with database.unit_of_work(one_statement=True) as uow:
        assert (await uow.load(Account, "a")).balance == 5


async def test_without_a_cache_every_unit_reads_the_store(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = Database(database.dsn, producer="kernel-test", stream_cache=0)
    await plain.open(max_size=2)
    try:
        await plain.run(credit(5, "c1"))
        counted = CountedReads(monkeypatch)
        await plain.run(credit(5, "c2"))
        assert counted.reads == 1
    finally:
        await plain.close()


async def test_a_unit_given_an_aggregate_as_committed_keeps_its_stream_cached(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A caller that already holds the aggregate as committed hands it to the unit (`uow.add`, as the
    payment's requests do): its stream stays cached, continued by what the unit appended."""
    await database.run(credit(5, "c1"))
    known = await database.read(Account, "a")

    async def credit_known(uow: UnitOfWork) -> None:
        uow.add(known)
        known.credit(2, "c2")

    await database.run(credit_known)
    counted = CountedReads(monkeypatch)
    assert await database.run(credit(1, "c3")) == 8
    assert counted.reads == 0


async def test_an_aggregate_handed_in_at_another_version_than_cached_is_forgotten(
    database: Database, elsewhere: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await database.run(credit(5, "c1"))  # cached here at version 1
    await elsewhere.run(credit(10, "c2"))
    known = await elsewhere.read(Account, "a")  # version 2, which this process never saw

    async def credit_known(uow: UnitOfWork) -> None:
        uow.add(known)
        known.credit(2, "c3")

    await database.run(credit_known)
    counted = CountedReads(monkeypatch)
    assert await database.run(credit(1, "c4")) == 18  # read afresh: the cache had only version 1
    assert counted.reads == 1


async def test_a_reader_woken_by_this_process_s_commit_takes_it_from_the_cache(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await database.run(credit(5, "c1"))
    seen = await database.read(Account, "a")  # version 1
    await database.run(credit(2, "c2"))  # this process commits version 2
    counted = CountedReads(monkeypatch)
    newer = await database.read_newer(Account, "a", seen.version)
    assert (newer.version, newer.balance, counted.reads) == (2, 7, 0)
    current = await database.read_newer(Account, "a", newer.version)  # nothing newer kept: the store
    assert (current.version, counted.reads) == (2, 1)


def open_account(amount: int, credit_id: str, account_id: str = "new") -> Any:
    return credit(amount, credit_id, account_id, creates=True)


async def test_a_stream_presumed_new_is_created_without_a_read(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted = CountedReads(monkeypatch)
    assert await database.run(open_account(5, "c1")) == 5
    assert await database.run(credit(2, "c2", "new")) == 7  # then cached, as any commit
    assert counted.reads == 0
    assert await balance_of(database, "new") == 7


async def test_a_stream_presumed_new_that_exists_is_read_and_nothing_is_lost(
    database: Database, elsewhere: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await elsewhere.run(credit(100, "c1", "new"))  # created behind this process's back
    counted = CountedReads(monkeypatch)
    assert await database.run(open_account(5, "c2")) == 105  # the presumption failed the commit
    assert counted.reads == 1
    assert await balance_of(elsewhere, "new") == 105


async def test_a_stream_presumed_new_and_only_read_is_checked_at_commit(
    database: Database, elsewhere: Database
) -> None:
    await elsewhere.run(credit(50, "c1", "source"))

    async def copy_balance(uow: UnitOfWork) -> int:
        source = await uow.load_new(Account, "source")
        (await uow.load(Account, "copy")).credit(source.balance or 1, "copy")
        return source.balance

    assert await database.run(copy_balance) == 50  # not the presumed 0
    assert await balance_of(database, "copy") == 50


async def test_a_failed_presumption_is_read_next_time_and_retried_at_once(
    database: Database, elsewhere: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A consumer's unit (no `Database.run`) learns it by `CachedReadSuspect`, which its loop runs
    again at once rather than backing off as from a race; the process then reads that stream."""
    await elsewhere.run(credit(100, "c1", "new"))
    with pytest.raises(CachedReadSuspect):
        async with database.unit_of_work(one_statement=True) as uow:
            await open_account(5, "c2")(uow)
    counted = CountedReads(monkeypatch)
    async with database.unit_of_work(one_statement=True) as uow:
        assert await open_account(5, "c2")(uow) == 105
    assert counted.reads == 1


async def test_a_unit_in_a_transaction_reads_what_it_would_presume(
    database: Database, elsewhere: Database
) -> None:
    """Only a one-statement unit's commit checks what it presumed: one in a transaction reads."""
    await elsewhere.run(credit(100, "c1", "new"))
    async with database.unit_of_work() as uow:
        assert await open_account(5, "c2")(uow) == 105
