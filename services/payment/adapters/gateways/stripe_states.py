"""Stripe's PaymentIntent statuses in the gateway-neutral words the transaction merges.

Used for the synchronous answers, for retrieves and for webhook payloads alike (all carry the
PaymentIntent object), which is what makes them interchangeable. localstripe omits
`amount_received` and `amount_capturable`; 0 then means "not said", and the transaction falls
back to the amount it asked for.
"""

from __future__ import annotations

from typing import Any

from services.payment.domain.gateway_state import GatewayState, Stage


def _stage(intent: dict[str, Any]) -> Stage:
    status = intent.get("status")
    if status == "requires_payment_method":
        return "failed" if intent.get("last_payment_error") else "created"
    if status == "requires_confirmation":
        return "created"
    if status == "requires_capture":
        return "authorized"
    if status == "succeeded":
        return "captured"
    if status == "canceled":
        return "cancelled"
    return "pending"  # requires_action, processing


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def intent_state(intent: dict[str, Any]) -> GatewayState:
    """A PaymentIntent (as a plain dict) as a GatewayState."""
    error = intent.get("last_payment_error") or {}
    stage = _stage(intent)
    return GatewayState(
        stage=stage,
        reference=str(intent["id"]),
        authorized=_int(intent.get("amount_capturable"))
        or (_int(intent.get("amount")) if stage == "authorized" else 0),
        captured=_int(intent.get("amount_received")),
        failure_code=str(error.get("decline_code") or error.get("code") or "") if stage == "failed" else "",
        failure_reason=str(error.get("message") or "") if stage == "failed" else "",
        client_secret=intent.get("client_secret"),
    )


def charge_refunds(charge: dict[str, Any]) -> GatewayState | None:
    """A `charge.refunded` Charge: what it says about its PaymentIntent's refunded total."""
    intent = charge.get("payment_intent")
    if not isinstance(intent, str):
        return None
    return GatewayState(stage="pending", reference=intent, refunded=_int(charge.get("amount_refunded")))
