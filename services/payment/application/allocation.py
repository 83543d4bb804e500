"""Allocating the order's stock before money moves: a request/reply with inventory over Kafka.

The request (`StockAllocationRequested`, request id = transaction id, as inventory expects to
match a later `PaymentFailed`) is published with the transaction that needs it. The reply is
recorded on the transaction by the consumer (which also charges a gateway that stays in the
process, in the same unit of work); the waiting HTTP request wakes when this process
commits to the transaction's stream (`EventDatabase.signals`), takes what was committed (from the
process's stream cache, `EventDatabase.read_newer`, or else one read), and gives up after
PAYMENT_ALLOCATION_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from services.payment.application.follow_up import follow_up
from services.payment.application.in_process_charge import charges_in_process, create_and_confirm
from services.payment.application.ports import Gateway, Units
from services.payment.domain.transaction import Transaction
from shared.contracts.envelope import utc_now
from shared.contracts.events import StockAllocationRequested
from shared.contracts.values import StockLine
from shared.eventstore.aggregate_reader import stream_id_of
from shared.eventstore.commit_signals import wait_for
from shared.eventstore.port import EventDatabase, UnitOfWork

FALLBACK_READ_SECONDS = 0.25
"""How often the waiting request reads the transaction without a signal: the reply may be consumed
by another instance of the service (they share the consumer group), whose commits signal nothing
here."""
ALLOCATION_TIMED_OUT = "allocation_timeout"


def request_allocation(uow: UnitOfWork, txn: Transaction) -> None:
    """Queue the request in the outbox, in the unit of work that creates the transaction."""
    request = StockAllocationRequested(order_id=txn.order_id, request_id=txn.id, lines=txn.stock_lines)
    uow.publish(request, key=txn.order_id, aggregate_id=txn.order_id)


async def record_reply(
    uow: UnitOfWork,
    request_id: str,
    *,
    allocated: bool,
    reason: str = "",
    short: list[StockLine] | None = None,
    gateways: Mapping[str, Gateway] | None = None,
) -> None:
    """`StockAllocated` / `StockAllocationFailed`: replies to requests that are not ours (another
    service's, or inventory's checkout reservations) and late replies change nothing. Its commit
    wakes the request waiting in this process (`await_allocation`).

    `gateways`: those that stay in the process (`manual`) charge in this same unit of work once the
    stock is held, so the waiting request finds its payment done; a refusal fails the transaction
    and the request answers it. Any other gateway is charged by the waiting request."""
    txn = await uow.load(Transaction, request_id)
    if not txn.exists:
        return
    at = utc_now()
    charged_here = False
    if allocated:
        gateway = (gateways or {}).get(txn.gateway)
        if txn.allocation_confirmed(at) and charges_in_process(gateway):
            await create_and_confirm(gateway, txn, at)
            charged_here = True
    else:
        txn.allocation_refused(reason, list(short or []), at)
    await follow_up(uow, txn, at, index_reference=not charged_here)


async def await_allocation(database: EventDatabase, txn: Transaction, timeout: float) -> Transaction:
    """The transaction once inventory answered, or as it is after `timeout` seconds (still waiting).

    `txn` is the transaction as the request committed it, with the allocation request: no reply can
    precede it (the request leaves the outbox only after that commit), so the first look is a wait.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    with database.signals.watching(stream_id_of(Transaction, txn.id)) as changed:
        while txn.awaiting_allocation:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            woken = await wait_for(changed, min(remaining, FALLBACK_READ_SECONDS))
            changed.clear()  # before the read: a commit after it is seen by it or sets it again
            if woken:  # this process committed to it: what it committed, without a read
                txn = await database.read_newer(Transaction, txn.id, txn.version)
            else:
                txn = await database.read(Transaction, txn.id)
    return txn


async def give_up_allocation(units: Units, transaction_id: str) -> Transaction:
    """Fail a transaction whose allocation did not come in time. `PaymentFailed` tells inventory to
    release an allocation that arrives late (or to refuse the request if it has not seen it)."""

    async def fail(uow: UnitOfWork) -> Transaction:
        txn = await uow.load(Transaction, transaction_id)
        at = utc_now()
        if txn.awaiting_allocation:
            txn.record_failed(ALLOCATION_TIMED_OUT, "stock allocation timed out", at)
            await follow_up(uow, txn, at)
        return txn

    return await units.run(fail)
