"""`POST /v2/webhooks/stripe`: Stripe's signed notifications (register this URL at Stripe with
the events `payment_intent.succeeded`, `payment_intent.amount_capturable_updated`,
`payment_intent.payment_failed`, `payment_intent.canceled` and `charge.refunded`).

No token: the `Stripe-Signature` header, checked with STRIPE_WEBHOOK_SECRET, is the
authentication. A missing or bad signature answers 400 and changes nothing; a genuine event
answers 200, also when it is a duplicate or about a payment that is not ours; one whose apply
raised answers 5xx, so Stripe delivers it again. Every delivery is recorded with its outcome
(`webhook_receiving`), for `checkout-admin webhooks list` and `retry`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from services.payment.adapters.gateways.stripe import NAME as STRIPE
from services.payment.adapters.gateways.stripe_webhooks import WebhookRejected
from services.payment.adapters.http.context import database_of, payments_of
from services.payment.adapters.webhook_receiving import receive
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
    payments = payments_of(request)
    try:
        handled = await receive(
            database_of(request),
            await request.body(),
            request.headers.get("stripe-signature"),
            secret,
            configured=STRIPE in payments.gateways,
            rejected_kept=request.app.state.webhook_rejected_kept,
        )
    except WebhookRejected as exc:
        raise BadRequest(str(exc), title="Invalid webhook signature") from None
    return {"received": True, "changed": handled.changed}
