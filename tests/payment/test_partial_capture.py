"""A successful partial capture: an admin captures less than was authorised, with the manual gateway
and through Stripe (localstripe). The answer is the same transaction, now a capture of the amount
taken; later reads, the published `PaymentCaptured` and the order's balance owing all follow it."""

from __future__ import annotations

import httpx
import pytest

from tests.payment.bus import Bus
from tests.payment.calls import pay, transaction_action, transactions
from tests.payment.checkouts import check_out
from tests.payment.stripe_api import LocalStripe
from tests.support.openapi import validate_response

SPEC = "carts-orders.yaml"
TRANSACTION = "/v2/orders/{orderID}/transactions/{transactionID}"
CARD = {"stripe_payment_intents": {"payment": "pm_card_visa"}, "manual": {}}


@pytest.mark.parametrize("gateway", ["manual", "stripe_payment_intents"])
async def test_capturing_part_of_an_authorisation(
    shopper: httpx.AsyncClient, admin: httpx.AsyncClient, bus: Bus, localstripe: LocalStripe, gateway: str
) -> None:
    order = await check_out(bus)  # 10000 owing
    authorised = await pay(shopper, order.order_id, gateway=gateway, method="authorize", **CARD[gateway])
    assert authorised.status_code == 200, authorised.text
    txn = authorised.json()["data"]
    assert txn["amount"] == 10000

    captured = await transaction_action(admin, order.order_id, txn["id"], "capture", {"amount": 6000})

    assert captured.status_code == 200, captured.text
    validate_response(SPEC, TRANSACTION + "/capture", "post", "200", captured.json())
    data = captured.json()["data"]
    assert (data["id"], data["transaction_type"], data["status"]) == (txn["id"], "capture", "complete")
    assert (data["amount"], data["currency"], data["gateway"]) == (6000, "USD", gateway)
    assert data["meta"]["display_price"] == {"amount": 6000, "currency": "USD", "formatted": "$60.00"}
    event = await bus.wait_for("PaymentCaptured", transaction_id=txn["id"])
    assert event.data["amount"] == {"amount": 6000, "currency": "USD"}
    if gateway == "stripe_payment_intents":
        [intent] = await localstripe.intents_of(txn["id"])
        charge = intent["latest_charge"]  # localstripe releases the rest as Stripe once did: a refund
        assert (intent["status"], charge["captured"]) == ("succeeded", True)
        assert charge["amount"] - charge["amount_refunded"] == 6000

    one = await shopper.get(f"/v2/orders/{order.order_id}/transactions/{txn['id']}")
    validate_response(SPEC, TRANSACTION, "get", "200", one.json())
    assert (one.json()["data"]["transaction_type"], one.json()["data"]["amount"]) == ("capture", 6000)
    rest = await pay(admin, order.order_id, gateway="manual", method="purchase")  # what is still owing
    assert rest.status_code == 200 and rest.json()["data"]["amount"] == 4000, rest.text
    assert sorted(t["amount"] for t in await transactions(shopper, order.order_id)) == [4000, 6000]
