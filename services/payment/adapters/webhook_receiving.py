"""A Stripe webhook delivery handled end to end: verified, applied, and recorded in the delivery
log (`webhook_deliveries`) whatever became of it.

The HTTP endpoint and `checkout-admin webhooks retry` both come through `apply_and_record`, so a
retried event goes through the very code a delivery does (`apply_gateway_event`, its inbox making
a second application a no-op). A failed apply is recorded after its transaction rolled back and
the error raised again: the endpoint answers 5xx as before, and Stripe delivers the event again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.payment.adapters.gateways.stripe import NAME as STRIPE
from services.payment.adapters.gateways.stripe_webhooks import WebhookRejected, gateway_event, verified_event
from services.payment.adapters.webhook_deliveries import Delivery, Outcome, claimed, record
from services.payment.application.webhooks import EventEffect, apply_gateway_event
from shared.contracts.envelope import utc_now
from shared.eventstore.unit_of_work import Database

_OUTCOMES = {
    EventEffect.CHANGED: Outcome.APPLIED,
    EventEffect.UNCHANGED: Outcome.APPLIED,
    EventEffect.DUPLICATE: Outcome.DUPLICATE,
    EventEffect.NOT_OURS: Outcome.IGNORED,
}


@dataclass(frozen=True)
class Handled:
    """What became of a verified event, and the number of its row in the log (None: not recorded)."""

    outcome: Outcome
    changed: bool
    detail: str | None
    delivery: int | None = None


async def receive(
    database: Database,
    payload: bytes,
    signature: str | None,
    secret: str,
    *,
    configured: bool,
    rejected_kept: int,
) -> Handled:
    """Verify, apply and record one delivery. Raises `WebhookRejected` (recorded as rejected, with
    only a prefix of the body, the newest `rejected_kept` of them kept) and whatever applying
    raised (recorded as failed)."""
    received_at = utc_now()
    try:
        event = verified_event(payload, signature, secret)
    except WebhookRejected as exc:
        event_id, kind = claimed(payload)
        rejected = Delivery(
            received_at, STRIPE, exc.signature_ok, Outcome.REJECTED, payload, event_id, kind, detail=str(exc)
        )
        await record(database.pool, rejected, rejected_kept=rejected_kept)
        raise
    return await apply_and_record(database, event, payload, received_at, configured=configured)


async def apply_and_record(
    database: Database,
    event: dict[str, Any],
    payload: bytes,
    received_at: datetime,
    *,
    configured: bool,
    retry_of: int | None = None,
) -> Handled:
    """Apply a verified event (`payload` is its body as signed) and record the outcome."""
    kind = event.get("type")
    base = Delivery(
        received_at,
        STRIPE,
        True,
        Outcome.FAILED,
        payload,
        str(event["id"]),
        kind[:255] if isinstance(kind, str) else None,
        retry_of=retry_of,
    )
    try:
        handled = await _apply(database, event, configured=configured)
    except Exception as exc:
        await record(database.pool, replace(base, detail=f"{type(exc).__name__}: {exc}"))
        raise
    done = replace(base, outcome=handled.outcome, changed=handled.changed, detail=handled.detail)
    number = await record(database.pool, done)
    return Handled(handled.outcome, handled.changed, handled.detail, number)


async def _apply(database: Database, event: dict[str, Any], *, configured: bool) -> Handled:
    about = gateway_event(event)
    if about is None:
        return Handled(Outcome.IGNORED, False, f"{str(event.get('type'))[:100]} is not about a payment")
    if not configured:
        return Handled(Outcome.IGNORED, False, "the Stripe gateway is not configured")
    effect = await apply_gateway_event(database, STRIPE, about)
    detail = "not one of this store's payments" if effect is EventEffect.NOT_OURS else None
    return Handled(_OUTCOMES[effect], effect is EventEffect.CHANGED, detail)
