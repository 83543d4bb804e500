"""A `manual` payment waiting for stock holds no lock in PostgreSQL: its process holds it
(`TransactionLocks.owned`), its `open_transactions` row names the process, and the process's
presence connection tells the other instances' reconcilers it lives, on a real PostgreSQL: the
other instance leaves the payment alone while the process lives and fails it once it is gone; a
presence connection lost while the process lives comes back by itself."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.payment.adapters.postgres.presence import PREFIX, living
from services.payment.application.paying import Pay, pay
from services.payment.application.reconciler import reconcile_open_transactions
from services.payment.domain.errors import GatewayDeclined
from services.payment.domain.gateway_settings import MANUAL
from services.payment.domain.transaction import Transaction
from shared.eventstore.unit_of_work import Database
from tests.fast.payment_world import checked_out, line
from tests.payment.instances import instance, manual_payment_database
from tests.support.databases import rows_of

_ADVISORY = "SELECT count(*) AS held FROM pg_locks WHERE locktype = 'advisory' AND database = $1::oid"
_OPEN = "SELECT transaction_id, owner FROM open_transactions"
_OID = "SELECT oid FROM pg_database WHERE datname = current_database()"


@pytest.fixture
async def database(postgres: Any) -> AsyncIterator[Database]:
    async with manual_payment_database(postgres, max_size=4) as db:
        yield db


async def test_another_instance_leaves_a_living_process_s_payment_and_fails_it_once_gone(
    database: Database,
) -> None:
    order_id = await checked_out(database, line("shoe", 1, 3000, managed=True))
    async with (
        instance(database, allocation_timeout=30.0) as one,
        instance(database, allocation_timeout=30.0) as other,
    ):
        request = asyncio.create_task(pay(one, Pay(order_id, MANUAL, "authorize")))
        try:
            rows = await _open_rows(database)
            [(transaction_id, owner)] = rows
            assert owner == one.locks.owner != other.locks.owner
            oid = (await rows_of(database.dsn, _OID))[0]["oid"]
            assert (await rows_of(database.dsn, _ADVISORY, oid))[0]["held"] == 0  # no lock in the database

            assert await reconcile_open_transactions(other) == 0  # its process lives
            assert await reconcile_open_transactions(one) == 0  # its process holds it
            assert (await database.read(Transaction, transaction_id)).awaiting_allocation

            await one.locks.presence.close()  # as its process dying would end its connection
            assert await reconcile_open_transactions(other) == 1
            txn = await database.read(Transaction, transaction_id)
            assert (txn.status, txn.failure_code) == ("failed", "abandoned")
            assert await rows_of(database.dsn, _OPEN) == []
            with pytest.raises(GatewayDeclined):  # the request, woken by that commit, answers it
                await asyncio.wait_for(request, 2.0)
        finally:
            request.cancel()
            with contextlib.suppress(asyncio.CancelledError, GatewayDeclined):
                await request


async def test_a_presence_lost_while_the_process_lives_comes_back(database: Database) -> None:
    async with (
        instance(database, allocation_timeout=30.0) as one,
        instance(database, allocation_timeout=30.0) as other,
    ):
        one.locks.presence.retry_every = 0.05
        assert await other.locks.living([one.locks.owner, "nobody"]) == {one.locks.owner}
        killed = await rows_of(
            database.dsn,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            PREFIX + one.locks.owner,
        )
        assert [row[0] for row in killed] == [True]
        for _ in range(200):
            await asyncio.sleep(0.02)
            if await other.locks.living([one.locks.owner]) == {one.locks.owner}:
                break
        assert one.locks.presence.present
        assert await other.locks.living([one.locks.owner]) == {one.locks.owner}
    assert await living(database.pool, [one.locks.owner]) == set()  # closed: gone


async def _open_rows(database: Database) -> list[tuple[str, str | None]]:
    """The `open_transactions` rows, once there are some (the request has been made)."""
    for _ in range(200):
        rows = [(row["transaction_id"], row["owner"]) for row in await rows_of(database.dsn, _OPEN)]
        if rows:
            return rows
        await asyncio.sleep(0.01)
    return []
