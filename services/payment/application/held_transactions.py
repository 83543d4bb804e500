"""An admin operation's start (capture, refund, cancel, confirm): the transaction held, read as it
is now, and a gateway call a crashed holder left in flight settled first, so the operation works on
what the gateway actually did. Which interrupted call the retry may answer with is each operation's
own rule; `HeldTransaction` gives what it needs to decide.

Only a transaction whose gateway's calls leave the process (Stripe) needs the database lock: its
operation spans a call another instance must not make at the same time. One through a gateway that
stays in the process (manual) is held by this process alone (`TransactionLocks.owned`: two round
trips and two commits less an operation, a capture being half the benchmark's checkouts); another
instance's operation on it is kept apart by the appends alone, each operation checking its rule
again inside the unit of work that records it (a conflict re-runs that unit on what is now). Which
one a transaction is, its events say: it is read once held by the process, and a Stripe transaction
again under its lock. A request of this process holding the transaction (a payment still waiting
for stock) is waited for, up to `lock_wait`, either way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from services.payment.application.context import Payments
from services.payment.application.gateway_calls import reconcile
from services.payment.application.ports import Units
from services.payment.application.reading import load_transaction
from services.payment.domain.transaction import InFlightCall, Transaction


@dataclass(frozen=True)
class HeldTransaction:
    """`txn` as it is now (any interrupted call settled), and the units to change it with."""

    units: Units
    txn: Transaction
    interrupted: InFlightCall | None
    """The call found in flight, now settled (None: there was none)."""
    refunded_before: int
    """What had been refunded before the interrupted call was settled."""

    def interrupted_call(self, operation: str) -> InFlightCall | None:
        """The settled call, if it was an `operation` call."""
        if self.interrupted is None or self.interrupted.operation != operation:
            return None
        return self.interrupted


@asynccontextmanager
async def held_transaction(
    payments: Payments, order_id: str, transaction_id: str
) -> AsyncIterator[HeldTransaction]:
    """The order's transaction held (404 for another order's), waited for up to
    `payments.lock_wait` seconds: by this process alone when its gateway stays in the process,
    else under its database lock."""
    async with payments.locks.owned(transaction_id, wait=payments.lock_wait) as units:
        txn = await load_transaction(payments.database, order_id, transaction_id)
        if stays_in_process(payments, txn):
            yield HeldTransaction(units, txn, None, txn.refunded_total)
            return
    async with payments.locks.held(transaction_id, wait=payments.lock_wait) as units:
        txn = await load_transaction(payments.database, order_id, transaction_id)
        interrupted, refunded_before = txn.in_flight, txn.refunded_total
        if interrupted is not None:
            txn = await reconcile(payments, units, txn)
        yield HeldTransaction(units, txn, interrupted, refunded_before)


def stays_in_process(payments: Payments, txn: Transaction) -> bool:
    """Whether every call of an operation on `txn` completes in this process (nothing in flight
    either), so that no database lock need keep other instances out."""
    return txn.in_flight is None and not payments.gateway(txn.gateway).records_calls
