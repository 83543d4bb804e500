"""An admin operation on a `manual` transaction takes no lock in PostgreSQL (`held_transaction`):
nothing of it leaves the process, so instances are kept apart by their appends alone, each checking
its rule again in the unit of work that records it. On a real PostgreSQL, with two instances of the
payment use cases (each its own locks, as two processes have): a capture goes through while some
session holds the transaction's advisory lock, and two captures at the same moment, one on each
instance, capture once and refuse the other as Elastic Path does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from services.payment.adapters.gateways.manual import ManualGateway
from services.payment.application.capturing import capture
from services.payment.application.context import Payments
from services.payment.application.paying import Pay, pay
from services.payment.domain.errors import TransactionStateError
from services.payment.domain.events import TransactionCaptured
from services.payment.domain.gateway_settings import MANUAL
from services.payment.domain.gateway_state import GatewayState
from services.payment.domain.transaction import Transaction
from shared.eventstore.unit_of_work import Database
from tests.fast.payment_world import checked_out
from tests.payment.instances import instance, manual_payment_database

_LOCK = "SELECT pg_advisory_lock(hashtextextended($1::text, 0))"  # the transaction's, as `held` takes it


class MeetingManualGateway(ManualGateway):
    """The manual gateway, whose captures wait for each other: both are past their rule checks and
    both calls made before either is recorded."""

    def __init__(self, meeting: asyncio.Barrier) -> None:
        self.meeting = meeting

    async def capture(self, reference: str, amount: int, idempotency_key: str) -> GatewayState:
        await asyncio.wait_for(self.meeting.wait(), 10)
        return await super().capture(reference, amount, idempotency_key)


@pytest.fixture
async def database(postgres: Any) -> AsyncIterator[Database]:
    async with manual_payment_database(postgres, max_size=6) as db:
        yield db


async def _authorized(database: Database, payments: Payments) -> tuple[str, str]:
    order_id = await checked_out(database)
    txn = await pay(payments, Pay(order_id, MANUAL, "authorize"))
    assert (txn.status, txn.method) == ("complete", "authorize")
    return order_id, txn.id


async def test_a_manual_capture_takes_no_lock_in_the_database(database: Database) -> None:
    async with instance(database, lock_wait=0.2) as payments:
        order_id, transaction_id = await _authorized(database, payments)
        holder = await asyncpg.connect(database.dsn)
        try:
            await holder.execute(_LOCK, transaction_id)  # were the capture to wait for it: 409 in 0.2 s
            txn = await capture(payments, order_id, transaction_id, None)
        finally:
            await holder.close()
    assert (txn.captured, txn.has_capture) == (10000, True)


async def test_two_instances_capturing_at_once_capture_once(database: Database) -> None:
    meeting = asyncio.Barrier(2)
    async with (
        instance(database, MeetingManualGateway(meeting), lock_wait=0.2) as one,
        instance(database, MeetingManualGateway(meeting), lock_wait=0.2) as other,
    ):
        order_id, transaction_id = await _authorized(database, one)
        answers = await asyncio.gather(
            capture(one, order_id, transaction_id, None),
            capture(other, order_id, transaction_id, None),
            return_exceptions=True,
        )

    captured = [a for a in answers if isinstance(a, Transaction)]
    refused = [a for a in answers if isinstance(a, TransactionStateError)]
    assert (len(captured), len(refused)) == (1, 1), answers
    assert refused[0].title == "Transaction already captured"
    captures, count = await database.history_page(
        Transaction, transaction_id, (TransactionCaptured.event_type,), 10, 0
    )
    assert count == len(captures) == 1
    assert (await database.read(Transaction, transaction_id)).captured == 10000
