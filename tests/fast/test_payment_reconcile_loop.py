"""The payment's reconciler as it runs in the service (`reconcile_forever`), on the in-memory
database (the fast tier), every millisecond: each tick finishes what crashed requests left open
by then, a tick that fails is logged and the next one runs, and cancelling the task stops it
(between ticks or during one)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest

from services.payment.adapters.in_memory.tables import InMemoryTransactionIndex
from services.payment.application.paying import Pay
from services.payment.application.ports import TRANSACTION_INDEX, OpenTransaction
from services.payment.application.reconciler import reconcile_forever
from services.payment.domain.gateway_settings import MANUAL
from services.payment.domain.transaction import Transaction
from shared.eventstore.in_memory import InMemoryUnitOfWork
from tests.fast.loops import FlakyReads, eventually, stops_for_good
from tests.fast.payment_world import STRIPE, World, checked_out, died_while, line, seeded, world

TICK = 0.001
FAILED = "reconciling open transactions failed; retrying in 0s"


class FlakyTransactionIndex(InMemoryTransactionIndex):
    def __init__(self, w: World, uow: InMemoryUnitOfWork, reads: FlakyReads) -> None:
        super().__init__(w.tables, uow)
        self._reads = reads

    async def oldest_open(self, limit: int) -> list[OpenTransaction]:
        await self._reads.read()
        return await super().oldest_open(limit)


@pytest.fixture
def reads() -> FlakyReads:
    return FlakyReads()


@pytest.fixture
async def w(reads: FlakyReads) -> World:
    w = await seeded(world(allocation_timeout=5.0))
    w.database.adapters.provide(TRANSACTION_INDEX, lambda uow: FlakyTransactionIndex(w, uow, reads))
    return w


async def abandoned(w: World) -> Transaction:
    """A payment whose request died while waiting for stock: open, and nobody holds it."""
    order_id = await checked_out(w.database, line("shoe", 1, 3000, managed=True))
    return await died_while(w, Pay(order_id, MANUAL, "authorize"), lambda: bool(w.tables.open))


async def failed(w: World, transaction_id: str) -> bool:
    return (await w.database.read(Transaction, transaction_id)).failure_code == "abandoned"


async def test_each_tick_finishes_what_was_left_open_by_then(w: World) -> None:
    txn = await abandoned(w)
    reconciling = asyncio.create_task(reconcile_forever(w.payments, TICK))
    try:
        await eventually(lambda: failed(w, txn.id))
        w.tables.open["ghost"] = OpenTransaction("ghost", "o", STRIPE, datetime(2026, 1, 1, tzinfo=UTC))
        await eventually(lambda: not w.tables.open)  # a later tick forgets a row with no transaction
    finally:
        reconciling.cancel()


async def test_a_failing_tick_is_logged_and_the_next_one_runs(
    w: World, reads: FlakyReads, caplog: pytest.LogCaptureFixture
) -> None:
    txn = await abandoned(w)
    reads.failing = 2
    reconciling = asyncio.create_task(reconcile_forever(w.payments, TICK))
    try:
        with caplog.at_level(logging.ERROR, logger="services.payment.application.reconciler"):
            await eventually(lambda: failed(w, txn.id))
    finally:
        reconciling.cancel()
    assert reads.made >= 3
    assert [record.getMessage() for record in caplog.records].count(FAILED) == 2


@pytest.mark.parametrize("stuck", [False, True], ids=["between-ticks", "during-a-tick"])
async def test_cancelling_the_task_stops_the_reconciler(w: World, reads: FlakyReads, stuck: bool) -> None:
    reads.stuck = stuck
    reconciling = asyncio.create_task(reconcile_forever(w.payments, TICK))
    await eventually(lambda: reads.made >= (1 if stuck else 2))
    await stops_for_good(reconciling, reads)
