"""Stripe webhooks: only a genuine, fresh signature is believed; anything refused changes nothing.

A replay is a genuine notification (our secret's signature) re-sent later: Stripe's scheme signs the
timestamp with the body, so one older than the 300 s tolerance is refused, and moving the timestamp
breaks the signature. One signed for a time further ahead than the tolerance is refused too (a
notification prepared now to be replayed later). The refused notification must leave the transaction
as it was, and must not even use up its event id: the same event, freshly signed, is still applied.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from uuid import uuid4

import orjson
import pytest

from tests.security import canaries
from tests.security.conftest import client
from tests.security.ep_errors import assert_ep_error
from tests.security.responsiveness import assert_stayed_responsive, latencies_during, usual_latency
from tests.security.shoppers import check_out, consumed_everywhere, create_product

WEBHOOK = "/v2/webhooks/stripe"
TOLERANCE_SECONDS = 300
ATTEMPTS = 40
"""Notifications signed ahead of time sent while an unrelated read is timed."""


def signature(payload: bytes, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@pytest.fixture
async def authorized(services, admin_token, shopper_token) -> dict[str, Any]:
    """A Stripe transaction, authorised and not captured, on a fresh guest order."""
    product = await create_product(services["cart"], admin_token, amount=4200)
    order = await check_out(
        services["cart"], shopper_token, product["id"], {"name": "Ann", "email": "ann@example.com"}
    )
    await consumed_everywhere(services, admin_token, order["id"])
    async with client(services["payment"], shopper_token) as payments:
        paid = await payments.post(
            f"/v2/orders/{order['id']}/payments",
            json={
                "data": {
                    "gateway": "stripe_payment_intents",
                    "method": "authorize",
                    "payment": "pm_card_visa",
                }
            },
        )
    assert paid.status_code == 200, paid.text
    transaction: dict[str, Any] = paid.json()["data"]
    assert (transaction["transaction_type"], transaction["status"]) == ("authorize", "complete")
    return transaction


def captured_event(transaction: dict[str, Any]) -> bytes:
    """What Stripe would send if the payment were captured outside the service."""
    intent = {
        "id": transaction["reference"],
        "object": "payment_intent",
        "status": "succeeded",
        "amount": transaction["amount"],
        "amount_received": transaction["amount"],
        "currency": transaction["currency"].lower(),
        "metadata": {"transaction_id": transaction["id"]},
    }
    event = {"id": f"evt_{uuid4().hex}", "object": "event", "type": "payment_intent.succeeded"}
    return orjson.dumps({**event, "created": int(time.time()), "data": {"object": intent}})


async def _read(services, admin_token, transaction: dict[str, Any]) -> dict[str, Any]:
    path = (
        f"/v2/orders/{transaction['relationships']['order']['data']['id']}/transactions/{transaction['id']}"
    )
    async with client(services["payment"], admin_token) as admin:
        response = await admin.get(path)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()["data"]
    return document


async def test_refused_webhooks_change_nothing_and_a_fresh_one_still_applies(
    services, admin_token, authorized
):
    payload = captured_event(authorized)
    secret = canaries.STRIPE_WEBHOOK_SECRET
    now = int(time.time())
    old = now - TOLERANCE_SECONDS - 120
    replayed = signature(payload, secret, old)
    refused = {
        "replayed (genuine, too old)": {"Stripe-Signature": replayed},
        "signed ahead of time (genuine, from the future)": {
            "Stripe-Signature": signature(payload, secret, now + TOLERANCE_SECONDS + 120)
        },
        "replayed with the timestamp moved": {"Stripe-Signature": replayed.replace(f"t={old}", f"t={now}")},
        "signed with another secret": {"Stripe-Signature": signature(payload, "whsec_someone_else", now)},
        "unsigned": {},
        "malformed signature header": {"Stripe-Signature": "garbage"},
        "signature of another body": {"Stripe-Signature": signature(payload + b" ", secret, now)},
    }
    before = await _read(services, admin_token, authorized)
    async with client(services["payment"]) as stripe:
        for why, headers in refused.items():
            response = await stripe.post(
                WEBHOOK, content=payload, headers={"Content-Type": "application/json", **headers}
            )
            error = assert_ep_error(response, 400)
            assert error["title"] == "Invalid webhook signature", (why, error)

        # The one a sender could prepare now to replay later, over and over, while the payment service
        # goes on answering an unrelated read (the transaction's, by the merchant) as fast as before.
        ahead = {
            "Content-Type": "application/json",
            "Stripe-Signature": signature(payload, secret, int(time.time()) + TOLERANCE_SECONDS + 120),
        }

        async def read() -> None:
            await _read(services, admin_token, authorized)

        async def attack() -> list[Any]:
            return [await stripe.post(WEBHOOK, content=payload, headers=ahead) for _ in range(ATTEMPTS)]

        usual = await usual_latency(read)
        answers, during = await latencies_during(attack(), read)
        for response in answers:
            assert assert_ep_error(response, 400)["title"] == "Invalid webhook signature"
        assert_stayed_responsive(usual, during)
        assert await _read(services, admin_token, authorized) == before

        fresh = await stripe.post(
            WEBHOOK,
            content=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature(payload, secret, now)},
        )
    assert fresh.status_code == 200 and fresh.json() == {"received": True, "changed": True}, fresh.text
    after = await _read(services, admin_token, authorized)
    assert (after["transaction_type"], after["status"]) == ("capture", "complete")
