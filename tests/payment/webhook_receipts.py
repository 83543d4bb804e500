"""Knowing that localstripe's webhooks about a PaymentIntent have reached the payment service.

localstripe sends its signed event about a second after the call that caused it, once. A test that
counts what a webhook could add (a second `PaymentCaptured`) must first know the webhook was
applied: the service writes each notification's id to its inbox in the unit of work of its effect,
so the inbox row is the positive marker. Where localstripe's one attempt may have been lost (the
service was dead at the time), the test delivers the very same event itself (`delivered`).
"""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from services.payment.adapters.gateways.stripe import NAME as STRIPE
from services.payment.application.webhooks import inbox_id
from tests.payment.service import WEBHOOK_PATH
from tests.payment.signing import signed
from tests.payment.stripe_api import WEBHOOK_SECRET, LocalStripe
from tests.support.polling import poll_until
from tests.support.services import RunningService


async def stripe_events(localstripe: LocalStripe, reference: str, kind: str) -> list[dict[str, Any]]:
    """localstripe's events of `kind` about the PaymentIntent `reference` (all pages, newest first)."""
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params: Any = {"type": kind, "limit": 100, **({"starting_after": after} if after else {})}
        page = await localstripe.client.v1.events.list_async(params)
        events = [e.to_dict() for e in page.data]
        found += [e for e in events if e["data"]["object"].get("id") == reference]
        if not page.has_more or not events:
            return found
        after = events[-1]["id"]


async def webhooks_applied(
    localstripe: LocalStripe, service: RunningService, reference: str, kind: str
) -> list[str]:
    """The ids of localstripe's `kind` events about `reference`, once every one is in the payment
    service's inbox (fails after a minute with the ones still missing)."""
    events = [e["id"] for e in await stripe_events(localstripe, reference, kind)]
    assert events, f"localstripe made no {kind} event about {reference}"
    wanted = {inbox_id(STRIPE, event): event for event in events}

    async def missing() -> list[str]:
        conn = await asyncpg.connect(service.env["DATABASE_URL"])
        try:
            rows = await conn.fetch(
                "SELECT event_id FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])",
                f"webhook:{STRIPE}",
                list(wanted),
            )
        finally:
            await conn.close()
        applied = {row["event_id"] for row in rows}
        return [event for key, event in wanted.items() if key not in applied]

    left = await poll_until(missing, lambda ids: not ids)
    assert not left, f"localstripe's {kind} webhooks {left} about {reference} never applied"
    return events


async def delivered(
    localstripe: LocalStripe, service: RunningService, reference: str, kind: str
) -> list[str]:
    """Deliver localstripe's `kind` events about `reference` to the service, signed as localstripe
    signs them; once each is answered 200 it has been applied (now, or when localstripe sent it)."""
    events = await stripe_events(localstripe, reference, kind)
    assert events, f"localstripe made no {kind} event about {reference}"
    async with httpx.AsyncClient(base_url=service.url, timeout=30) as client:
        for event in events:
            body, headers = signed(event, WEBHOOK_SECRET)
            answer = await client.post(WEBHOOK_PATH, content=body, headers=headers)
            assert answer.status_code == 200, answer.text
    return [e["id"] for e in events]
