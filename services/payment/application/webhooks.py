"""A verified gateway notification, merged into its transaction exactly once.

The notification's id goes into the inbox (`ports.WebhookInbox`) with its effect, so a
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
from services.payment.application.ports import TRANSACTION_INDEX, WEBHOOK_INBOX, GatewayEvent
from services.payment.domain.transaction import Transaction
from shared.contracts.envelope import utc_now
from shared.eventstore.port import EventDatabase, UnitOfWork

log = logging.getLogger(__name__)


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


async def apply_gateway_event(database: EventDatabase, gateway: str, event: GatewayEvent) -> EventEffect:
    """What the notification did; `EventEffect.CHANGED` only if it changed a transaction."""

    async def apply(uow: UnitOfWork) -> EventEffect:
        consumer = f"webhook:{gateway}"
        if not await uow.adapter(WEBHOOK_INBOX).first_delivery(consumer, inbox_id(gateway, event.event_id)):
            return EventEffect.DUPLICATE
        transaction_id = event.transaction_id or await uow.adapter(TRANSACTION_INDEX).transaction_of(
            event.state.reference
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

    return await database.run(apply, attempts=8)
