"""A `manual` payment waiting for stock is held by its process, with no lock in the database
(`TransactionLocks.owned`): its index row names the process; the reconciler leaves it while that
process holds it, and another instance's reconciler while the process lives and the payment is
young; a payment failed meanwhile answers its failure instead of being charged (the fast tier)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable
from datetime import timedelta

import pytest

from services.payment.adapters.in_memory.locking import InMemoryTransactionLocks
from services.payment.application.allocation import record_reply
from services.payment.application.context import Payments
from services.payment.application.paying import Pay, pay
from services.payment.application.ports import OpenTransaction
from services.payment.application.reconciler import reconcile_open_transactions
from services.payment.domain.errors import GatewayDeclined
from services.payment.domain.gateway_settings import MANUAL
from services.payment.domain.transaction import Transaction
from tests.fast.memory import published_data
from tests.fast.payment_world import World, checked_out, died_while, line, seeded, world


@pytest.fixture
async def w() -> World:
    return await seeded(world(allocation_timeout=5.0))


async def _waiting(w: World) -> tuple[asyncio.Task[Transaction], OpenTransaction]:
    """A manual authorize of a stock-managed line, waiting for inventory's answer."""
    order_id = await checked_out(w.database, line("shoe", 1, 3000, managed=True))
    request = asyncio.create_task(pay(w.payments, Pay(order_id, MANUAL, "authorize")))
    while not w.tables.open:
        await asyncio.sleep(0.001)
    [row] = w.tables.open.values()
    return request, row


async def _allocated(w: World) -> None:
    """Inventory's answer to the payment's request: allocated."""
    [asked] = published_data(w.database, "StockAllocationRequested")
    await w.database.run(lambda uow: record_reply(uow, asked["request_id"], allocated=True, reason=""))


def _other_instance(w: World, monkeypatch: pytest.MonkeyPatch, *, sees_alive: bool) -> Payments:
    """Another instance of the service on the same database, which sees this process alive or not."""
    locks = InMemoryTransactionLocks(w.database, owner="other")

    async def living(owners: Iterable[str]) -> set[str]:
        return {owner for owner in owners if owner == "other" or (sees_alive and owner == w.locks.owner)}

    monkeypatch.setattr(locks, "living", living)
    return dataclasses.replace(w.payments, locks=locks)


async def test_a_payment_waiting_for_stock_is_its_process_s_and_the_reconciler_leaves_it(w: World) -> None:
    request, row = await _waiting(w)
    assert row.owner == w.locks.owner and w.locks.holding(row.transaction_id)
    assert await reconcile_open_transactions(w.payments) == 0
    await _allocated(w)
    txn = await asyncio.wait_for(request, 2.0)
    assert (txn.status, txn.authorized) == ("complete", 3000) and not w.tables.open
    assert not w.locks.holding(txn.id) and len(w.locks.holds) == 0  # nothing left behind


async def test_its_own_process_finishes_a_payment_it_lost_at_once(w: World) -> None:
    order_id = await checked_out(w.database, line("shoe", 1, 3000, managed=True))
    txn = await died_while(w, Pay(order_id, MANUAL, "authorize"), lambda: bool(w.tables.open))
    assert w.tables.open[txn.id].owner == w.locks.owner  # alive, but no longer holding it
    assert await reconcile_open_transactions(w.payments) == 1
    assert (await w.database.read(Transaction, txn.id)).failure_code == "abandoned"


async def test_another_instance_leaves_a_living_process_s_payment_until_it_is_old(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    request, row = await _waiting(w)
    other = _other_instance(w, monkeypatch, sees_alive=True)

    soon = row.since + timedelta(seconds=w.payments.owned_grace - 1)
    assert await reconcile_open_transactions(other, now=soon) == 0
    assert (await w.database.read(Transaction, row.transaction_id)).awaiting_allocation

    late = row.since + timedelta(seconds=w.payments.owned_grace + 1)
    assert await reconcile_open_transactions(other, now=late) == 1
    await _answers_its_failure(w, request, row.transaction_id)


async def test_another_instance_finishes_a_payment_whose_process_died_at_once(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    request, row = await _waiting(w)  # still waiting here, but its process is gone as `other` sees it
    other = _other_instance(w, monkeypatch, sees_alive=False)
    assert await reconcile_open_transactions(other, now=row.since) == 1
    await _answers_its_failure(w, request, row.transaction_id)


async def _answers_its_failure(w: World, request: asyncio.Task[Transaction], transaction_id: str) -> None:
    """The waiting request, once stock is allocated, answers the failure; nothing was charged."""
    await _allocated(w)
    with pytest.raises(GatewayDeclined):
        await asyncio.wait_for(request, 2.0)
    txn = await w.database.read(Transaction, transaction_id)
    assert (txn.status, txn.failure_code, txn.reference, txn.authorized) == ("failed", "abandoned", None, 0)
