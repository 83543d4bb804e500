"""Finishing what a crashed process left open, in the background, on every instance.

Every PAYMENT_RECONCILE_INTERVAL_SECONDS the open transactions are visited. One whose lock is
held belongs to a live request and is skipped, and so is one held without a lock (a payment through
a gateway that stays in the process, `TransactionLocks.owned`) by this process, or by another
process still alive (`living`) unless it has been open longer than `Payments.owned_grace`.
Otherwise its owner is gone, and:

- a gateway call left in flight is reconciled from the gateway's own records;
- a payment still pending that never reached the gateway (it was waiting for stock, or its
  gateway payment was created but never confirmed) is failed, so its reservation and any stock
  allocated for it are released (`PaymentFailed`), and the unconfirmed gateway payment voided;
- a payment confirmed and waiting for the shopper (3-D Secure) is re-synced, and left open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from services.payment.application.context import Payments
from services.payment.application.follow_up import follow_up
from services.payment.application.gateway_calls import reconcile
from services.payment.application.ports import (
    TRANSACTION_INDEX,
    GatewayRefused,
    GatewayUnreachable,
    OpenTransaction,
    Units,
)
from services.payment.domain.gateway_state import GatewayState
from services.payment.domain.transaction import Transaction
from shared.contracts.envelope import utc_now
from shared.domain.errors import DomainError
from shared.eventstore.port import UnitOfWork

log = logging.getLogger(__name__)
ABANDONED = "abandoned"
BATCH = 100


async def reconcile_forever(payments: Payments, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await reconcile_open_transactions(payments)
        except Exception:
            log.exception("reconciling open transactions failed; retrying in %.0fs", interval)


async def reconcile_open_transactions(payments: Payments, now: datetime | None = None) -> int:
    """Visit the open transactions nobody holds; returns how many were visited."""
    found = await payments.locks.unlocked().run(_oldest_open)
    now = now or utc_now()
    others = {t.owner for t in found if t.owner is not None and t.owner != payments.locks.owner}
    alive = await payments.locks.living(others)  # no query for none
    young = now - timedelta(seconds=payments.owned_grace)
    visited = 0
    for row in found:
        if row.owner in alive and row.since > young:
            continue  # another process's payment in progress
        transaction_id = row.transaction_id
        async with payments.locks.if_free(transaction_id) as units:
            if units is None:
                continue
            try:
                await _finish(payments, units, transaction_id)
                visited += 1
            except (DomainError, GatewayRefused, GatewayUnreachable) as exc:
                log.warning("could not reconcile transaction %s yet: %s", transaction_id, exc)
    return visited


async def _oldest_open(uow: UnitOfWork) -> list[OpenTransaction]:
    return await uow.adapter(TRANSACTION_INDEX).oldest_open(BATCH)


async def _forget(uow: UnitOfWork, transaction_id: str) -> None:
    await uow.adapter(TRANSACTION_INDEX).closed(transaction_id)


async def _finish(payments: Payments, units: Units, transaction_id: str) -> None:
    txn = await payments.database.read(Transaction, transaction_id)
    if not txn.exists:
        await units.run(lambda uow: _forget(uow, transaction_id))
        return
    txn = await reconcile(payments, units, txn)
    if txn.status != "pending":
        return
    gateway = await payments.current_gateway(txn.gateway)
    if txn.reference is not None and gateway.records_calls:
        state = await gateway.retrieve(txn.reference)
        if state.stage != "created":
            await units.run(lambda uow: _merge(uow, transaction_id, state), known=(txn,))
            return
        with contextlib.suppress(GatewayRefused, GatewayUnreachable):
            await gateway.cancel(txn.reference, f"{transaction_id}:abandon")
    await units.run(lambda uow: _abandon(uow, transaction_id), known=(txn,))


async def _merge(uow: UnitOfWork, transaction_id: str, state: GatewayState) -> None:
    txn = await uow.load(Transaction, transaction_id)
    at = utc_now()
    txn.merge(state, at)
    await follow_up(uow, txn, at)


async def _abandon(uow: UnitOfWork, transaction_id: str) -> None:
    txn = await uow.load(Transaction, transaction_id)
    at = utc_now()
    txn.record_failed(ABANDONED, "the payment request ended before the gateway was called", at)
    await follow_up(uow, txn, at)
