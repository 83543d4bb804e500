"""The Stripe adapter's search read from the payload Stripe sends, which localstripe cannot produce.

localstripe has no search, and its PaymentIntents lack fields real ones have (`amount_received`,
`amount_capturable`) and expand `latest_charge`. `fixtures/stripe_search_result.json` is Stripe's
own fixture of a PaymentIntent (github.com/stripe/openapi, openapi/fixtures3.json,
`resources.payment_intent`, as of commit f6c2a48), made a succeeded payment of 10000 carrying our
metadata, in the `search_result` envelope of Stripe's API reference and the SDK's
`SearchResultObject`. A small HTTP server answers the adapter's search with it, through the
official SDK, as Stripe would; the test pins the query the adapter sends (Stripe's search query
language) and what it reads from each field.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from devstack.ports import free_port
from services.payment.adapters.gateways.stripe import StripeGateway
from services.payment.application.ports import ChargeRequest
from services.payment.domain.gateway_state import GatewayState

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "stripe_search_result.json").read_text())
[INTENT] = RECORDED["data"]


@dataclass
class RecordedStripe:
    url: str
    answer: tuple[int, dict[str, Any]] = (200, RECORDED)
    listed: dict[str, Any] | None = None  # the answer to a list of PaymentIntents, if any
    asked: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


@pytest.fixture
async def stripe() -> AsyncIterator[RecordedStripe]:
    """Answers `GET /v1/payment_intents/search` with `answer`, the list with `listed`; else 404."""
    port = free_port()
    recorded = RecordedStripe(f"http://127.0.0.1:{port}")

    async def handle(request: web.Request) -> web.Response:
        recorded.asked.append((request.method, request.path, dict(request.query)))
        if (request.method, request.path) == ("GET", "/v1/payment_intents/search"):
            status, body = recorded.answer
            return web.json_response(body, status=status)
        if (request.method, request.path) == ("GET", "/v1/payment_intents") and recorded.listed is not None:
            return web.json_response(recorded.listed)
        return web.json_response({"error": {"type": "invalid_request_error", "message": "no"}}, status=404)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield recorded
    await runner.cleanup()


def _request() -> ChargeRequest:
    metadata = INTENT["metadata"]
    return ChargeRequest(
        transaction_id=metadata["transaction_id"],
        order_id=metadata["order_id"],
        method="purchase",
        amount=10000,
        currency="USD",
        payment=None,
    )


async def _find(stripe: RecordedStripe) -> GatewayState | None:
    gateway = StripeGateway("sk_test_recorded", api_base=stripe.url, max_network_retries=0)
    try:
        return await gateway.find(_request())
    finally:
        await gateway.close()


async def test_a_payment_intent_is_found_by_stripe_search_and_read_as_stripe_sends_it(
    stripe: RecordedStripe,
) -> None:
    found = await _find(stripe)

    assert found == GatewayState(
        stage="captured",
        reference=INTENT["id"],
        authorized=0,
        captured=10000,  # amount_received: localstripe never sends it
        client_secret=INTENT["client_secret"],
    )
    transaction_id = INTENT["metadata"]["transaction_id"]
    assert stripe.asked == [  # one search in Stripe's query language, and no scan of the list
        ("GET", "/v1/payment_intents/search", {"query": f"metadata['transaction_id']:'{transaction_id}'"})
    ]


async def test_where_stripe_refuses_search_the_recent_payment_intents_are_scanned(
    stripe: RecordedStripe,
) -> None:
    """Search is not offered everywhere (Stripe refuses it to some accounts, localstripe has none)."""
    stripe.answer = (400, {"error": {"type": "invalid_request_error", "message": "Search is unavailable."}})
    stripe.listed = {"object": "list", "url": "/v1/payment_intents", "has_more": False, "data": [INTENT]}

    found = await _find(stripe)

    assert found is not None and (found.stage, found.reference, found.captured) == (
        "captured",
        INTENT["id"],
        10000,
    )
    assert [(method, path) for method, path, _ in stripe.asked] == [
        ("GET", "/v1/payment_intents/search"),
        ("GET", "/v1/payment_intents"),
    ]
