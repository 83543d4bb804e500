"""The event store against real Postgres: optimistic concurrency and a log that never skips."""

from __future__ import annotations

import asyncio
import random

import pytest

from shared.eventstore import LOG_START, ConcurrencyError, EventStore, LogPosition, NewEvent
from shared.eventstore.unit_of_work import Database


def events(*types: str) -> list[NewEvent]:
    return [NewEvent(t, 1, {"n": i}) for i, t in enumerate(types)]


async def test_append_and_read_back_a_stream(database: Database) -> None:
    store = EventStore()
    async with database.pool.acquire() as conn:
        assert await store.append(conn, "cart-1", "cart", 0, events("A", "B")) == 2
        assert await store.append(conn, "cart-1", "cart", 2, events("C")) == 3
        stream = await store.read_stream(conn, "cart-1")
    assert [(e.version, e.event_type, e.data) for e in stream] == [
        (1, "A", {"n": 0}),
        (2, "B", {"n": 1}),
        (3, "C", {"n": 0}),
    ]
    assert await store.stream_version(database.pool, "cart-1") == 3


async def test_a_page_of_one_type_of_a_streams_events_and_their_count(database: Database) -> None:
    """A long history is listed a page at a time: the page and the count come from the server."""
    store = EventStore()
    async with database.pool.acquire() as conn:
        await store.append(
            conn, "stock-1", "stock", 0, events("Moved", "Noted", "Moved", "Moved", "Noted", "Moved")
        )
        page, total = await store.read_stream_page(conn, "stock-1", ["Moved"], 2, 1)
        assert [(e.version, e.data["n"]) for e in page] == [(3, 2), (4, 3)] and total == 4
        assert await store.read_stream_page(conn, "stock-1", ["Moved"], 2, 10) == ([], 4)
        assert await store.read_stream_page(conn, "stock-2", ["Moved"], 2, 0) == ([], 0)
        [found] = await store.find_in_stream(conn, "stock-1", "Moved", "n", "3")
        assert found.version == 4


async def test_a_log_read_for_some_types_lists_every_event_with_only_theirs_filled_in(
    database: Database,
) -> None:
    """A projection's runner steps over the types it does not fold: they are listed, so its position
    passes them, but their JSON is neither sent nor parsed."""
    store = EventStore()
    async with database.pool.acquire() as conn:
        types = ["Wanted", "Other", "Wanted", "Other"]
        mixed = [NewEvent(t, 1, {"n": i}, {"by": t}) for i, t in enumerate(types)]
        await store.append(conn, "mixed-1", "mixed", 0, mixed)
        whole = await store.read_log(conn)
        typed = await store.read_log(conn, types=frozenset({"Wanted"}))
    assert [(e.log_position, e.event_type) for e in typed] == [(e.log_position, e.event_type) for e in whole]
    assert [(e.data, e.metadata) for e in typed] == [
        ({"n": 0}, {"by": "Wanted"}),
        ({}, {}),
        ({"n": 2}, {"by": "Wanted"}),
        ({}, {}),
    ]
    assert [e.data for e in whole] == [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}]


@pytest.mark.parametrize("expected", [0, 1, 3])
async def test_a_stale_or_future_expected_version_is_a_conflict_and_writes_nothing(
    database: Database, expected: int
) -> None:
    store = EventStore()
    async with database.pool.acquire() as conn:
        await store.append(conn, "s", "t", 0, events("A", "B"))
        with pytest.raises(ConcurrencyError):
            await store.append(conn, "s", "t", expected, events("X"))
        assert [e.event_type for e in await store.read_stream(conn, "s")] == ["A", "B"]


async def test_two_concurrent_appends_at_the_same_version_exactly_one_wins(database: Database) -> None:
    """Both writers read version 1, then append inside overlapping transactions, many times over."""
    store = EventStore()
    for round_no in range(25):
        stream = f"race-{round_no}"
        async with database.pool.acquire() as conn:
            await store.append(conn, stream, "t", 0, events("Created"))
        both_read = asyncio.Barrier(2)

        async def writer(name: str, stream: str = stream, barrier: asyncio.Barrier = both_read) -> str:
            async with database.pool.acquire() as conn, conn.transaction():
                version = await store.stream_version(conn, stream)
                await barrier.wait()
                await asyncio.sleep(random.random() / 200)
                await store.append(conn, stream, "t", version, [NewEvent("Changed", 1, {"by": name})])
                await asyncio.sleep(random.random() / 200)
            return name

        results = await asyncio.gather(writer("a"), writer("b"), return_exceptions=True)
        winners = [r for r in results if isinstance(r, str)]
        losers = [r for r in results if isinstance(r, ConcurrencyError)]
        assert len(winners) == 1 and len(losers) == 1, results
        stored = await store.read_stream(database.pool, stream)
        assert [e.data.get("by") for e in stored[1:]] == winners


async def test_a_reader_never_skips_an_event_committed_after_a_later_position(database: Database) -> None:
    """T1 takes the lower position but commits after T2: a log follower must still see both."""
    store = EventStore()
    for round_no in range(30):
        checkpoint = await store.head(database.pool)
        first_inserted = asyncio.Event()
        second_committed = asyncio.Event()

        async def slow_low_position(
            n: int = round_no,
            first_inserted: asyncio.Event = first_inserted,
            second_committed: asyncio.Event = second_committed,
        ) -> None:
            async with database.pool.acquire() as conn, conn.transaction():
                await store.append(conn, f"low-{n}", "t", 0, events("Low"))
                first_inserted.set()
                await second_committed.wait()
                await asyncio.sleep(random.random() / 100)

        async def fast_high_position(
            n: int = round_no,
            first_inserted: asyncio.Event = first_inserted,
            second_committed: asyncio.Event = second_committed,
        ) -> None:
            await first_inserted.wait()
            async with database.pool.acquire() as conn, conn.transaction():
                await store.append(conn, f"high-{n}", "t", 0, events("High"))
            second_committed.set()

        async def follower(start: LogPosition) -> list[str]:
            seen: list[str] = []
            position = start
            while len(seen) < 2:
                for event in await store.read_log(database.pool, position):
                    seen.append(event.event_type)
                    position = event.log_position
                await asyncio.sleep(0.001)
            return seen

        follow = asyncio.create_task(follower(checkpoint))
        await asyncio.gather(slow_low_position(), fast_high_position())
        seen = await asyncio.wait_for(follow, 10)
        assert sorted(seen) == ["High", "Low"]
        stored = await store.read_log(database.pool, checkpoint)
        low, high = (e for e in sorted(stored, key=lambda e: e.event_type, reverse=True))
        assert low.position < high.position  # the positions really were assigned in the other order


async def test_many_concurrent_writers_and_a_follower_see_every_event_exactly_once(
    database: Database,
) -> None:
    store = EventStore()
    writers, per_writer = 8, 40
    done = asyncio.Event()

    async def write(w: int) -> None:
        for i in range(per_writer):
            async with database.pool.acquire() as conn, conn.transaction():
                await store.append(conn, f"w{w}-{i}", "t", 0, [NewEvent("E", 1, {"w": w, "i": i})])
                await asyncio.sleep(random.random() / 500)

    async def follow() -> list[tuple[int, int]]:
        seen: list[tuple[int, int]] = []
        position = LOG_START
        while True:
            batch = await store.read_log(database.pool, position, limit=17)
            for event in batch:
                seen.append((event.data["w"], event.data["i"]))
                position = event.log_position
            if not batch:
                if done.is_set() and not await store.read_log(database.pool, position):
                    return seen
                await asyncio.sleep(0.002)

    follower = asyncio.create_task(follow())
    await asyncio.gather(*(write(w) for w in range(writers)))
    done.set()
    seen = await asyncio.wait_for(follower, 30)
    assert len(seen) == writers * per_writer
    assert set(seen) == {(w, i) for w in range(writers) for i in range(per_writer)}
