"""What every unit of work and database must do, whatever the store: the contract suite.

Each backend runs it by subclassing `UnitOfWorkContract` with a `backend` fixture
(test_in_memory.py, test_postgres.py), in the style of the `eventsourcing` library's per-backend
tests: the in-memory tier is only worth its speed while it keeps the promises PostgreSQL keeps.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol
from uuid import uuid4

import pytest

from shared.contracts.events import StockLevelChanged
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.domain.aggregate import Aggregate
from shared.eventstore.commit_signals import Commit
from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.port import EventDatabase, Port, UnitOfWork

TALLY_EVENTS = EventRegistry("contract-tally")


@TALLY_EVENTS.register
class Counted(VersionedEvent):
    by: int
    note: str = ""


class Tally(Aggregate):
    stream_type = "tally"
    registry: ClassVar[EventRegistry] = TALLY_EVENTS

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.total = 0
        self.notes: list[str] = []

    def count(self, by: int, note: str = "") -> None:
        self._record(Counted(by=by, note=note))

    def apply(self, event: VersionedEvent) -> None:
        match event:
            case Counted(by=by, note=note):
                self.total += by
                self.notes.append(note)


class Backend(Protocol):
    """A database under test, and a look at what it committed."""

    database: Any  # run, unit_of_work(one_statement=...), read, signals

    async def log(self) -> list[tuple[str, int, str]]:
        """(stream id, version, event type) of every event, in log order."""
        ...

    async def outbox(self) -> list[tuple[str, str]]:
        """(topic, key) of every outbox row, in the order written."""
        ...


@dataclass(frozen=True)
class Counting:
    """A command: count `by` on tally `tally_id`, optionally publishing and failing."""

    tally_id: str
    by: int = 1
    publish: bool = False
    fail: bool = False

    async def __call__(self, uow: UnitOfWork) -> Tally:
        tally = await uow.load(Tally, self.tally_id)
        tally.count(self.by, note=f"by {self.by}")
        if self.publish:
            uow.publish(_level(self.tally_id, tally.total), key=self.tally_id, aggregate_id=self.tally_id)
        if self.fail:
            raise ValueError("the command fails after its changes")
        return tally


def _level(product_id: str, total: int) -> StockLevelChanged:
    return StockLevelChanged(product_id=product_id, total=total, allocated=0, available=total, version=total)


def _id() -> str:
    return uuid4().hex[:12]


class UnitOfWorkContract:
    async def test_a_committed_unit_reads_back_as_it_was_left(self, backend: Backend) -> None:
        tally_id = _id()
        await backend.database.run(Counting(tally_id, 2))
        await backend.database.run(Counting(tally_id, 3))
        tally = await backend.database.read(Tally, tally_id)
        assert (tally.total, tally.version, tally.notes) == (5, 2, ["by 2", "by 3"])

    async def test_a_stream_never_written_reads_as_a_new_aggregate(self, backend: Backend) -> None:
        tally = await backend.database.read(Tally, _id())
        assert (tally.total, tally.version) == (0, 0)

    async def test_a_failing_command_writes_nothing(self, backend: Backend) -> None:
        tally_id = _id()
        with pytest.raises(ValueError):
            await backend.database.run(Counting(tally_id, 4, publish=True, fail=True))
        assert (await backend.database.read(Tally, tally_id)).version == 0
        assert await backend.log() == [] and await backend.outbox() == []

    async def test_an_append_to_a_stream_that_moved_on_is_refused(self, backend: Backend) -> None:
        tally_id = _id()
        await backend.database.run(Counting(tally_id, 1))
        with pytest.raises(ConcurrencyError):
            async with backend.database.unit_of_work(one_statement=True) as late:
                tally = await late.load(Tally, tally_id)  # at version 1
                await backend.database.run(Counting(tally_id, 10))  # another writer: version 2
                tally.count(100)
        tally = await backend.database.read(Tally, tally_id)
        assert (tally.total, tally.version) == (11, 2)

    async def test_run_retries_a_conflict_from_a_fresh_read(self, backend: Backend) -> None:
        tally_id = _id()
        both_loaded = asyncio.Barrier(2)

        async def racing(uow: UnitOfWork) -> None:
            tally = await uow.load(Tally, tally_id)
            if tally.version == 0:  # first attempts only: both read version 0, one must lose
                await both_loaded.wait()
            tally.count(1)

        await asyncio.gather(backend.database.run(racing), backend.database.run(racing))
        tally = await backend.database.read(Tally, tally_id)
        assert (tally.total, tally.version) == (2, 2)

    async def test_run_starts_from_the_known_aggregates_instead_of_reading_them(
        self, backend: Backend
    ) -> None:
        tally_id = _id()
        await backend.database.run(Counting(tally_id, 1))
        known = await backend.database.read(Tally, tally_id)
        seen: list[Tally] = []

        async def counting(uow: UnitOfWork) -> None:
            tally = await uow.load(Tally, tally_id)
            seen.append(tally)
            tally.count(2)

        await backend.database.run(counting, known=(known,))
        assert seen == [known] and seen[0] is known
        tally = await backend.database.read(Tally, tally_id)
        assert (tally.total, tally.version) == (3, 2)

    async def test_a_known_aggregate_with_uncommitted_events_is_refused_before_anything_runs(
        self, backend: Backend
    ) -> None:
        tally_id = _id()
        await backend.database.run(Counting(tally_id, 1))
        changed = await backend.database.read(Tally, tally_id)
        changed.count(5)  # recorded, never committed
        ran: list[int] = []

        async def counting(uow: UnitOfWork) -> None:
            ran.append(1)

        with pytest.raises(ValueError, match="not committed yet"):
            await backend.database.run(counting, known=(changed,))
        assert ran == []
        tally = await backend.database.read(Tally, tally_id)
        assert (tally.total, tally.version) == (1, 1)

    async def test_a_known_aggregate_another_writer_moved_on_is_read_afresh_on_the_retry(
        self, backend: Backend
    ) -> None:
        tally_id = _id()
        await backend.database.run(Counting(tally_id, 1))
        stale = await backend.database.read(Tally, tally_id)  # version 1
        await backend.database.run(Counting(tally_id, 10))  # another writer: version 2
        seen: list[tuple[int, int]] = []

        async def counting(uow: UnitOfWork) -> None:
            tally = await uow.load(Tally, tally_id)
            seen.append((tally.version, tally.total))
            tally.count(100)

        await backend.database.run(counting, known=(stale,))
        assert seen == [(1, 1), (2, 11)]  # the stale one, then the committed one
        tally = await backend.database.read(Tally, tally_id)
        assert (tally.total, tally.version) == (111, 3)

    async def test_load_new_of_a_stream_that_exists_ends_as_if_read(self, backend: Backend) -> None:
        """`load_new` may presume the stream new (PostgreSQL does, in one-statement units): a
        stream that does exist is never overwritten nor miscounted; the unit's outcome is that of
        a plain `load`."""
        tally_id = _id()
        await backend.database.run(Counting(tally_id, 5))
        assert await backend.database.run(lambda uow: _count_new(uow, tally_id)) == 6
        tally = await backend.database.read(Tally, tally_id)
        assert (tally.total, tally.version) == (6, 2)
        fresh_id = _id()
        assert await backend.database.run(lambda uow: _count_new(uow, fresh_id)) == 1

    async def test_the_log_holds_events_in_commit_order(self, backend: Backend) -> None:
        first, second = _id(), _id()
        for tally_id in (first, second, first):
            await backend.database.run(Counting(tally_id))

        async def both(uow: UnitOfWork) -> None:
            (await uow.load(Tally, second)).count(1)
            (await uow.load(Tally, first)).count(1)

        await backend.database.run(both)
        log = await backend.log()
        assert log[:3] == [
            (f"tally-{first}", 1, "Counted"),
            (f"tally-{second}", 1, "Counted"),
            (f"tally-{first}", 2, "Counted"),
        ]
        assert sorted(log[3:]) == sorted(
            [(f"tally-{second}", 2, "Counted"), (f"tally-{first}", 3, "Counted")]
        )

    async def test_published_messages_reach_the_outbox_in_order_with_the_commit(
        self, backend: Backend
    ) -> None:
        tally_id = _id()
        await backend.database.run(Counting(tally_id, 1, publish=True))
        await backend.database.run(Counting(tally_id, 2, publish=True))
        assert await backend.outbox() == [("StockLevelChanged", tally_id)] * 2

    async def test_a_message_applied_once_is_refused_the_second_time(self, backend: Backend) -> None:
        message, tally_id = uuid4(), _id()

        async def apply_once(consumer: str) -> None:
            async with backend.database.unit_of_work(one_statement=True) as uow:
                uow.record_inbox(consumer, [message], ["StockLevelChanged"])
                (await uow.load(Tally, tally_id)).count(1)

        await apply_once("contract-a")
        with pytest.raises(ConcurrencyError):
            await apply_once("contract-a")
        await apply_once("contract-b")  # another consumer has its own inbox
        assert (await backend.database.read(Tally, tally_id)).total == 2

    async def test_commit_signals_tell_what_was_committed_and_only_that(self, backend: Backend) -> None:
        commits: list[Commit] = []
        stop = backend.database.signals.listen(commits.append)
        tally_id = _id()
        try:
            with pytest.raises(ValueError):
                await backend.database.run(Counting(tally_id, 1, publish=True, fail=True))
            await backend.database.run(Counting(tally_id, 1, publish=True))
        finally:
            stop()
        [commit] = commits
        assert commit.streams == {f"tally-{tally_id}"} and commit.event_types == {"Counted"}
        assert commit.last_position is not None
        assert [row.key for row in commit.outbox] == [tally_id]

    async def test_after_commit_callbacks_run_only_after_a_commit(self, backend: Backend) -> None:
        ran: list[str] = []

        def command(label: str, fail: bool) -> Any:
            async def run(uow: UnitOfWork) -> None:
                uow.after_commit(lambda: ran.append(label))
                await Counting(_id(), fail=fail)(uow)

            return run

        with pytest.raises(ValueError):
            await backend.database.run(command("failed", True))
        await backend.database.run(command("committed", False))
        assert ran == ["committed"]

    async def test_no_aggregate_is_shared_between_units(self, backend: Backend) -> None:
        tally_id = _id()
        written = await backend.database.run(Counting(tally_id, 1))
        written.count(50)  # a change outside any unit is never committed, nor seen by the next read
        read = await backend.database.read(Tally, tally_id)
        assert read is not written and (read.total, read.version) == (1, 1)

    async def test_each_unit_builds_the_adapters_it_asks_for_once_on_itself(self, backend: Backend) -> None:
        notes: Port[list[str]] = Port("contract notes")
        built: list[object] = []

        def factory(uow: object) -> list[str]:
            built.append(uow)
            return []

        backend.database.adapters.provide(notes, factory)

        async def command(uow: UnitOfWork) -> None:
            assert uow.adapter(notes) is uow.adapter(notes)
            with pytest.raises(LookupError):
                uow.adapter(Port[str]("never provided"))

        await backend.database.run(command)
        await backend.database.run(command)
        assert len(built) == 2 and built[0] is not built[1]

    async def test_a_stream_s_history_reads_a_page_at_a_time_and_finds_events_by_a_field(
        self, backend: Backend
    ) -> None:
        database: EventDatabase = backend.database
        tally_id = _id()
        for by in (1, 2, 3):
            await database.run(Counting(tally_id, by))
        page, total = await database.history_page(Tally, tally_id, ["Counted"], 2, 1)
        assert total == 3 and [e.by for e in page if isinstance(e, Counted)] == [2, 3]
        found = await database.find_events(Tally, tally_id, "Counted", "note", "by 2")
        assert [e.by for e in found if isinstance(e, Counted)] == [2]
        assert await database.history_page(Tally, tally_id, ["NotCounted"], 10, 0) == ([], 0)
        assert await database.find_events(Tally, tally_id, "Counted", "note", "by 9") == []


async def _count_new(uow: UnitOfWork, tally_id: str) -> int:
    tally = await uow.load_new(Tally, tally_id)
    tally.count(1)
    return tally.total
