"""A payment that arrives before its checkout was consumed waits for the order (read your writes),
on a real PostgreSQL: the consumer's commit in this process wakes it, and it takes the order from
the stream cache that commit filled instead of reading it again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest

from services.payment.application.orders import wait_for_order
from shared.eventstore.unit_of_work import Database
from tests.fast.payment_world import checked_out
from tests.support.counted_reads import CountedReads
from tests.support.databases import fresh_database


@pytest.fixture
async def database(postgres: Any) -> AsyncIterator[Database]:
    async with fresh_database(postgres, "payment", max_size=4) as db:
        yield db


async def test_a_payment_waiting_for_its_order_takes_it_from_this_process_s_commit(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = str(uuid4())
    counted = CountedReads(monkeypatch)
    waiting = asyncio.create_task(wait_for_order(database, order_id, timeout=5.0))
    for _ in range(200):
        if counted.reads:
            break
        await asyncio.sleep(0.005)
    assert counted.reads == 1 and not waiting.done()  # read once, found no order, waits
    await checked_out(database, order_id=order_id)  # the consumer opens it (a presumed-new stream)
    order = await asyncio.wait_for(waiting, 2.0)
    assert order.opened and order.id == order_id
    assert counted.reads == 1  # neither the consumer nor the woken request read it again
