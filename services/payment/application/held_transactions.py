"""An admin operation's start (capture, refund, cancel, confirm): the transaction's lock, the
transaction read under it, and a gateway call a crashed holder left in flight settled first, so the
operation works on what the gateway actually did. Which interrupted call the retry may answer with
is each operation's own rule; `HeldTransaction` gives what it needs to decide."""

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
    """The order's transaction under its lock (404 for another order's), waited for up to
    `payments.lock_wait` seconds."""
    async with payments.locks.held(transaction_id, wait=payments.lock_wait) as units:
        txn = await load_transaction(payments.database, order_id, transaction_id)
        interrupted, refunded_before = txn.in_flight, txn.refunded_total
        if interrupted is not None:
            txn = await reconcile(payments, units, txn)
        yield HeldTransaction(units, txn, interrupted, refunded_before)
