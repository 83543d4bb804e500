"""A verified gateway notification, merged into its transaction exactly once.

The notification's id goes into the kernel's inbox in the same transaction as its effect, so a
redelivered webhook changes nothing; the merge itself is idempotent too, so a webhook that
repeats what the synchronous answer already recorded (or the reverse) changes nothing either.
Notifications about payments that are not ours (another store sharing the gateway account)
are acknowledged and ignored.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from services.payment.application.follow_up import follow_up
from services.payment.application.ports import GatewayEvent
from services.payment.application.units import run_on
from services.payment.domain.transaction import Transaction
from shared.contracts.envelope import utc_now
from shared.eventstore.port import UnitOfWork
from shared.eventstore.unit_of_work import Database

log = logging.getLogger(__name__)
_INBOX = (
    "INSERT INTO inbox (consumer, event_id, topic) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING true"
)


class EventEffect(StrEnum):
    """What applying a notification did (the webhook delivery log records it)."""

    CHANGED = "changed"
    UNCHANGED = "unchanged"
    """Ours and new, but the transaction already said so (the synchronous answer got there first)."""
    DUPLICATE = "duplicate"
    """Its id is in the inbox already: delivered before."""
    NOT_OURS = "not ours"
    """About a payment this store did not make (or names another gateway's reference)."""


def inbox_id(gateway: str, event_id: str) -> UUID:
    """Gateway event ids are not UUIDs; the inbox keys them by a UUID derived from them."""
    return uuid5(NAMESPACE_URL, f"webhook:{gateway}:{event_id}")


async def apply_gateway_event(database: Database, gateway: str, event: GatewayEvent) -> EventEffect:
    """What the notification did; `EventEffect.CHANGED` only if it changed a transaction."""

    async def apply(uow: UnitOfWork) -> EventEffect:
        consumer = f"webhook:{gateway}"
        fresh = await uow.connection.fetchval(_INBOX, consumer, inbox_id(gateway, event.event_id), consumer)
        if not fresh:
            return EventEffect.DUPLICATE
        transaction_id = event.transaction_id or await uow.connection.fetchval(
            "SELECT transaction_id FROM gateway_references WHERE reference = $1", event.state.reference
        )
        if not transaction_id:
            return EventEffect.NOT_OURS
        txn = await uow.load(Transaction, transaction_id)
        if not txn.exists or txn.gateway != gateway:
            return EventEffect.NOT_OURS
        if txn.reference not in (None, event.state.reference):
            log.warning("webhook for %s names %s, not %s", txn.id, event.state.reference, txn.reference)
            return EventEffect.NOT_OURS
        at = utc_now()
        if txn.reference is None:
            txn.record_reference(event.state.reference, event.state.client_secret, at)
        changed = txn.merge(event.state, at)
        await follow_up(uow, txn, at)
        return EventEffect.CHANGED if changed else EventEffect.UNCHANGED

    return await run_on(database, None, apply)
