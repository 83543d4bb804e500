"""`POST /v2/webhooks/stripe`: Stripe's signed notifications (register this URL at Stripe with
the events `payment_intent.succeeded`, `payment_intent.amount_capturable_updated`,
`payment_intent.payment_failed`, `payment_intent.canceled` and `charge.refunded`).

No token: the `Stripe-Signature` header, checked with STRIPE_WEBHOOK_SECRET, is the
authentication. A missing or bad signature answers 400 and changes nothing; a genuine event
answers 200, also when it is a duplicate or about a payment that is not ours.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from services.payment.adapters.gateways.stripe import NAME as STRIPE
from services.payment.adapters.gateways.stripe_webhooks import WebhookRejected, gateway_event, verified_event
from services.payment.adapters.http.context import payments_of
from services.payment.application.webhooks import apply_gateway_event
from shared.http.errors import BadRequest
from shared.http.openapi import documented, header_parameter

router = APIRouter(tags=["webhooks"])
PATH = "/v2/webhooks/stripe"


class StripeEvent(BaseModel):
    """A Stripe event as Stripe signs it (only what this endpoint looks at; the rest is ignored)."""

    id: str
    type: str
    data: dict[str, Any]


class WebhookReceipt(BaseModel):
    received: bool
    changed: bool


@router.post(
    PATH,
    **documented(
        auth="none",
        answers="Received (also a duplicate, or an event about a payment that is not ours)",
        document=WebhookReceipt,
        body=StripeEvent,
        in_data_member=False,
        parameters=[header_parameter("Stripe-Signature", "Stripe's signature of the raw body")],
        invalid="The Stripe-Signature is missing or does not match the body",
    ),
)
async def stripe_webhook(request: Request) -> dict[str, Any]:
    secret: str = request.app.state.stripe_webhook_secret
    payload = await request.body()
    try:
        event = verified_event(payload, request.headers.get("stripe-signature"), secret)
    except WebhookRejected as exc:
        raise BadRequest(str(exc), title="Invalid webhook signature") from None
    about = gateway_event(event)
    changed = False
    if about is not None and STRIPE in payments_of(request).gateways:
        changed = await apply_gateway_event(payments_of(request).database, STRIPE, about)
    return {"received": True, "changed": changed}
