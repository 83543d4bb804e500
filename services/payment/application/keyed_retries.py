"""What a retry with the client's `Idempotency-Key` finds already done (`shared.http.idempotency`).

The key names the effect: a payment's transaction id is derived from it, and each gateway call of
a keyed request carries a key derived from it (`GatewayKeys`), written to the transaction's
`GatewayCallStarted` before the call. A retry after a crash between the effect and the answer
therefore finds the call in the transaction's events instead of calling again; a refund the
service only records (the manual gateway, "Mark as Refunded") carries the key as its reference.
"""

from __future__ import annotations

from collections.abc import Callable

from services.payment.domain.errors import GatewayDeclined, InsufficientStock
from services.payment.domain.events import GatewayCallFinished, GatewayCallStarted
from services.payment.domain.transaction import INSUFFICIENT_STOCK, Transaction
from shared.eventstore.port import EventDatabase

GatewayKeys = Callable[[str], str]
"""The gateway idempotency key of each call (`create`, `confirm`, ...) a keyed request makes."""

_CALL_EVENTS = (GatewayCallStarted.event_type, GatewayCallFinished.event_type)


async def call_made(database: EventDatabase, txn: Transaction, operation: str, key: str) -> bool:
    """Whether the `operation` call with idempotency `key` went through (or, for a refund only
    recorded, whether one with that reference was).

    Only the transaction's call events are read (one statement), and none when it never started an
    `operation` call: each started call has at most one finished event, so they all fit the page."""
    if operation == "refund" and key in txn.refund_references:
        return True
    if not txn.calls.get(operation):
        return False
    started = sum(txn.calls.values())
    calls, _ = await database.history_page(Transaction, txn.id, _CALL_EVENTS, 2 * started, 0)
    ours = False
    for event in calls:
        if isinstance(event, GatewayCallStarted):
            ours = (event.operation, event.idempotency_key) == (operation, key)
        elif isinstance(event, GatewayCallFinished) and ours:
            if event.outcome == "done":
                return True
            ours = False
    return False


def raise_if_failed(txn: Transaction) -> None:
    """The error a failed payment was first answered with, for a retry that finds it failed."""
    if txn.status != "failed":
        return
    if txn.failure_code == INSUFFICIENT_STOCK:
        raise InsufficientStock(txn.id, txn.short)
    reason = txn.failure_reason or "The payment failed"
    raise GatewayDeclined(reason, transaction_id=txn.id, error={"code": txn.failure_code, "message": reason})
