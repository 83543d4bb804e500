"""Stripe webhooks: the signature checked with STRIPE_WEBHOOK_SECRET, then the payload read.

Anything unsigned, signed with another secret, or signed at a time further than the tolerance from
now (either way: the SDK only refuses old ones) is refused before a byte of it is trusted. Handled
types: `payment_intent.succeeded`, `.amount_capturable_updated`, `.payment_failed`, `.canceled`,
`.processing`, `.requires_action` (the PaymentIntent's status says what happened) and
`charge.refunded`; the rest are acknowledged and ignored.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import stripe

from services.payment.adapters.gateways.stripe_states import charge_refunds, intent_state
from services.payment.application.ports import GatewayEvent

TOLERANCE_SECONDS = 300
INTENT_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.amount_capturable_updated",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.processing",
        "payment_intent.requires_action",
    }
)


class WebhookRejected(Exception):
    """Not a genuine Stripe notification for this account (answered 400, nothing changes).

    `signature_ok`: the signature held but the body is not an event (the delivery log says so)."""

    def __init__(self, reason: str, *, signature_ok: bool = False) -> None:
        super().__init__(reason)
        self.signature_ok = signature_ok


def verified_event(payload: bytes, signature: str | None, secret: str) -> dict[str, Any]:
    if not secret:
        raise WebhookRejected("no webhook secret is configured (STRIPE_WEBHOOK_SECRET)")
    if not signature:
        raise WebhookRejected("the Stripe-Signature header is missing")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, secret, tolerance=TOLERANCE_SECONDS
        )
        if _signed_at(signature) > time.time() + TOLERANCE_SECONDS:
            raise WebhookRejected("the signature's timestamp is in the future")
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        raise WebhookRejected(str(exc) or "the signature does not match") from None
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise WebhookRejected(str(exc), signature_ok=True) from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise WebhookRejected("the payload is not a Stripe event", signature_ok=True)
    return event


def _signed_at(signature: str) -> int:
    """The `t=` timestamp of a Stripe-Signature header (verify_header has checked it is there)."""
    for part in signature.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    raise WebhookRejected("the Stripe-Signature header has no timestamp")


def gateway_event(event: dict[str, Any]) -> GatewayEvent | None:
    """What a verified event says about one payment, or None when it is not about payments."""
    kind = event.get("type")
    obj = (event.get("data") or {}).get("object")
    if not isinstance(obj, dict):
        return None
    if kind in INTENT_EVENTS and isinstance(obj.get("id"), str):
        metadata = obj.get("metadata") or {}
        transaction_id = metadata.get("transaction_id") if isinstance(metadata, dict) else None
        return GatewayEvent(
            event_id=event["id"],
            state=intent_state(obj),
            transaction_id=transaction_id if isinstance(transaction_id, str) else None,
        )
    if kind == "charge.refunded":
        state = charge_refunds(obj)
        return None if state is None else GatewayEvent(event["id"], state)
    return None
