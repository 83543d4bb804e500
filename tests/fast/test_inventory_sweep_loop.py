"""The inventory's reservation sweep as it runs in the service (`sweep_forever`), on the in-memory
database (the fast tier), every millisecond: each tick releases what is due by then, a tick that
fails is logged and the next one runs, and cancelling the task stops it (between ticks or during
one)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from services.inventory.adapters.in_memory.read_models import InMemoryDueReservations
from services.inventory.application import order_flow
from services.inventory.application.ports import DUE_RESERVATIONS
from services.inventory.application.reservations import sweep_forever
from services.inventory.application.stock_admin import create_stock
from services.inventory.domain.stock import Stock
from shared.eventstore.in_memory import InMemoryDatabase
from tests.fast.loops import FlakyReads, eventually, stops_for_good
from tests.inventory.builders import checkout

TICK = 0.001
FAILED = "reservation sweep failed (ConnectionError: the database went away); retrying"


class FlakyDueReservations(InMemoryDueReservations):
    def __init__(self, database: InMemoryDatabase, reads: FlakyReads) -> None:
        super().__init__(database)
        self._reads = reads

    async def due(self, batch: int) -> list[str]:
        await self._reads.read()
        return await super().due(batch)


@pytest.fixture
def reads() -> FlakyReads:
    return FlakyReads()


@pytest.fixture
async def database(reads: FlakyReads) -> InMemoryDatabase:
    database = InMemoryDatabase(producer="inventory")
    database.adapters.provide(DUE_RESERVATIONS, lambda db: FlakyDueReservations(db, reads))
    await database.run(lambda uow: create_stock(uow, "shoe", 5))
    return database


async def reserve_expired(database: InMemoryDatabase, order_id: str, quantity: int) -> None:
    order = checkout(order_id, ("shoe", quantity))
    await database.run(lambda uow: order_flow.reserve_at_checkout(uow, order, timedelta(0)))


async def nothing_allocated(database: InMemoryDatabase) -> bool:
    return (await database.read(Stock, "shoe")).allocated == 0


async def test_each_tick_releases_the_reservations_due_by_then(database: InMemoryDatabase) -> None:
    sweeping = asyncio.create_task(sweep_forever(database, TICK))
    try:
        await reserve_expired(database, "o-1", 2)
        await eventually(lambda: nothing_allocated(database))
        await reserve_expired(database, "o-2", 3)  # after the tick that released the first
        await eventually(lambda: nothing_allocated(database))
    finally:
        sweeping.cancel()
    assert (await database.read(Stock, "shoe")).total == 5


async def test_a_failing_tick_is_logged_and_the_next_one_runs(
    database: InMemoryDatabase, reads: FlakyReads, caplog: pytest.LogCaptureFixture
) -> None:
    reads.failing = 2
    await reserve_expired(database, "o-1", 2)
    sweeping = asyncio.create_task(sweep_forever(database, TICK))
    try:
        with caplog.at_level(logging.WARNING, logger="services.inventory.application.reservations"):
            await eventually(lambda: nothing_allocated(database))
    finally:
        sweeping.cancel()
    assert reads.made >= 3
    assert [record.getMessage() for record in caplog.records].count(FAILED) == 2


@pytest.mark.parametrize("stuck", [False, True], ids=["between-ticks", "during-a-tick"])
async def test_cancelling_the_task_stops_the_sweep(
    database: InMemoryDatabase, reads: FlakyReads, stuck: bool
) -> None:
    reads.stuck = stuck
    sweeping = asyncio.create_task(sweep_forever(database, TICK))
    await eventually(lambda: reads.made >= (1 if stuck else 2))
    await stops_for_good(sweeping, reads)
