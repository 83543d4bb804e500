"""`stripe_payment_intents` through the real service against localstripe: authorise, capture and
refund; a declined card; 3-D Secure confirmed later; voids; webhooks genuine, repeated and forged."""

from __future__ import annotations

from typing import Any

import httpx

from tests.payment.bus import Bus
from tests.payment.calls import error, pay, transaction_action, transactions
from tests.payment.checkouts import check_out, product_line
from tests.payment.signing import signed
from tests.payment.stripe_api import DECLINED_CARD, WEBHOOK_SECRET, LocalStripe
from tests.payment.webhook_receipts import webhooks_applied
from tests.support.openapi import validate_response
from tests.support.services import RunningService

SPEC = "carts-orders.yaml"
STRIPE = "stripe_payment_intents"
THREE_D_SECURE_CARD = "4000002500003155"
WEBHOOK = "/v2/webhooks/stripe"


async def test_authorize_capture_and_refund_through_stripe(
    shopper: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    bus: Bus,
    localstripe: LocalStripe,
    payment_service: RunningService,
) -> None:
    order = await check_out(bus)
    response = await pay(shopper, order.order_id, gateway=STRIPE, method="authorize", payment="pm_card_visa")

    assert response.status_code == 200, response.text
    validate_response(SPEC, "/v2/orders/{orderID}/payments", "post", "200", response.json())
    txn = response.json()["data"]
    assert (txn["status"], txn["transaction_type"], txn["gateway"]) == ("complete", "authorize", STRIPE)
    assert txn["reference"].startswith("pi_")
    await bus.wait_for("PaymentAuthorized", transaction_id=txn["id"])
    [intent] = await localstripe.intents_of(txn["id"])
    assert (intent["id"], intent["status"], intent["amount"]) == (txn["reference"], "requires_capture", 10000)

    captured = await transaction_action(admin, order.order_id, txn["id"], "capture")
    assert captured.status_code == 200, captured.text
    assert captured.json()["data"]["transaction_type"] == "capture"
    await bus.wait_for("PaymentCaptured", transaction_id=txn["id"])
    [intent] = await localstripe.intents_of(txn["id"])
    assert intent["status"] == "succeeded" and intent["latest_charge"]["captured"] is True

    refunded = await transaction_action(admin, order.order_id, txn["id"], "refund", {"amount": 1000})
    assert refunded.status_code == 200, refunded.text
    assert refunded.json()["data"]["refund_mechanism"] == "automatic"
    event = await bus.wait_for("PaymentRefunded", transaction_id=txn["id"])
    assert event.data["refunded_total"] == 1000
    refunds = await localstripe.client.v1.refunds.list_async({"payment_intent": txn["reference"]})
    assert [r.amount for r in refunds.data] == [1000]

    too_much = await transaction_action(admin, order.order_id, txn["id"], "refund", {"amount": 9001})
    assert too_much.status_code == 400, too_much.text  # localstripe would have accepted it
    refunds = await localstripe.client.v1.refunds.list_async({"payment_intent": txn["reference"]})
    assert [r.amount for r in refunds.data] == [1000]

    # localstripe's payment_intent.succeeded about the capture arrives a second or so later: once
    # it is applied and the service has settled, a second PaymentCaptured would be on the bus.
    await webhooks_applied(localstripe, payment_service, txn["reference"], "payment_intent.succeeded")
    await bus.settled(payment_service)
    assert len(bus.events("PaymentCaptured", transaction_id=txn["id"])) == 1


async def test_a_declined_card_fails_the_payment_cleanly(
    shopper: httpx.AsyncClient, bus: Bus, localstripe: LocalStripe, payment_service: RunningService
) -> None:
    product = "declined-product"
    order = await check_out(bus, product_line(product, 2, 5000, managed=True))
    card = await localstripe.card(DECLINED_CARD)

    response = await pay(shopper, order.order_id, gateway=STRIPE, method="purchase", payment=card)

    assert response.status_code == 400, response.text
    problem = error(response)
    assert problem["title"] == "Payment gateway processing failed"
    assert problem["meta"]["error"]["code"] == "card_declined"
    request = await bus.wait_for("StockAllocationRequested", order_id=order.order_id)  # stock first
    failed = await bus.wait_for("PaymentFailed", order_id=order.order_id)  # inventory releases on it
    assert failed.data["transaction_id"] == request.data["request_id"]
    [txn] = await transactions(shopper, order.order_id)
    assert (txn["status"], txn["failure_details"]["code"]) == ("failed", "card_declined")
    [intent] = await localstripe.intents_of(txn["id"])
    assert intent["status"] == "requires_payment_method"
    await webhooks_applied(localstripe, payment_service, intent["id"], "payment_intent.payment_failed")
    await bus.settled(payment_service)
    assert bus.events("PaymentCaptured", order_id=order.order_id) == []
    assert len(bus.events("PaymentFailed", transaction_id=txn["id"])) == 1  # the webhook repeated it
    retry = await pay(shopper, order.order_id, gateway=STRIPE, method="purchase", payment="pm_card_visa")
    assert retry.status_code == 200 and retry.json()["data"]["status"] == "complete"


async def test_3d_secure_stays_pending_until_confirmed(
    shopper: httpx.AsyncClient, bus: Bus, localstripe: LocalStripe
) -> None:
    order = await check_out(bus)
    card = await localstripe.card(THREE_D_SECURE_CARD)
    response = await pay(shopper, order.order_id, gateway=STRIPE, method="authorize", payment=card)
    assert response.status_code == 200, response.text
    txn = response.json()["data"]
    assert txn["status"] == "pending"
    secret = txn["client_parameters"]["secret"]

    await localstripe.client.raw_request_async(  # what Stripe.js does once the shopper passed 3-D Secure
        "post", f"/v1/payment_intents/{txn['reference']}/_authenticate", client_secret=secret, success="true"
    )
    confirmed = await transaction_action(shopper, order.order_id, txn["id"], "confirm", {})

    assert confirmed.status_code == 200, confirmed.text
    validate_response(
        SPEC, "/v2/orders/{orderID}/transactions/{transactionID}/confirm", "post", "200", confirmed.json()
    )
    assert (confirmed.json()["data"]["status"], confirmed.json()["data"]["transaction_type"]) == (
        "complete",
        "authorize",
    )
    await bus.wait_for("PaymentAuthorized", transaction_id=txn["id"])


async def test_cancel_voids_the_payment_intent(
    shopper: httpx.AsyncClient, admin: httpx.AsyncClient, bus: Bus, localstripe: LocalStripe
) -> None:
    order = await check_out(bus)
    txn = (
        await pay(shopper, order.order_id, gateway=STRIPE, method="authorize", payment="pm_card_visa")
    ).json()["data"]
    cancelled = await transaction_action(admin, order.order_id, txn["id"], "cancel", {"reason": "abandoned"})
    assert cancelled.status_code == 200 and cancelled.json()["data"]["status"] == "cancelled"
    await bus.wait_for("PaymentCancelled", transaction_id=txn["id"])
    [intent] = await localstripe.intents_of(txn["id"])
    assert intent["status"] == "canceled"


async def test_webhooks_genuine_repeated_and_forged(
    shopper: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    bus: Bus,
    localstripe: LocalStripe,
    payment_service: RunningService,
) -> None:
    order = await check_out(bus)
    txn = (
        await pay(shopper, order.order_id, gateway=STRIPE, method="authorize", payment="pm_card_visa")
    ).json()["data"]
    intent = (await localstripe.client.v1.payment_intents.retrieve_async(txn["reference"])).to_dict()
    forged_event = _event("evt_forged", "payment_intent.succeeded", {**intent, "status": "succeeded"})
    webhooks = httpx.AsyncClient(base_url=payment_service.url)
    try:
        body, headers = signed(forged_event, "whsec_not_ours")
        assert (await webhooks.post(WEBHOOK, content=body, headers=headers)).status_code == 400
        unsigned = await webhooks.post(WEBHOOK, content=body, headers={"Content-Type": "application/json"})
        assert unsigned.status_code == 400, unsigned.text
        [current] = await transactions(admin, order.order_id)
        assert (current["transaction_type"], current["status"]) == ("authorize", "complete")

        # Captured outside the service (say in Stripe's dashboard): only the webhook tells us.
        await localstripe.client.v1.payment_intents.capture_async(txn["reference"])
        await bus.wait_for("PaymentCaptured", transaction_id=txn["id"])
        [current] = await transactions(admin, order.order_id)
        assert current["transaction_type"] == "capture"

        events = await localstripe.client.v1.events.list_async(
            {"type": "payment_intent.succeeded", "limit": 100}
        )
        [genuine] = [e.to_dict() for e in events.data if e.data.object["id"] == txn["reference"]]
        body, headers = signed(genuine, WEBHOOK_SECRET)
        for _ in range(2):
            repeated = await webhooks.post(WEBHOOK, content=body, headers=headers)
            assert repeated.status_code == 200 and repeated.json()["changed"] is False
    finally:
        await webhooks.aclose()
    await bus.settled(payment_service)  # what the repeated deliveries committed is on the bus now
    assert len(bus.events("PaymentCaptured", transaction_id=txn["id"])) == 1


def _event(event_id: str, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "object": "event", "type": kind, "created": 0, "data": {"object": obj}}
