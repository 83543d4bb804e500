"""The manual gateway through the real service: authorize, capture, purchase, refunds, voids, and
who may do what, with every answer checked against Elastic Path's OpenAPI document.

A manual purchase records money received outside the platform: the admin's word, never a
shopper's, so the purchases here are an admin's; shoppers authorize, and the admin captures."""

from __future__ import annotations

import asyncio

import httpx

from tests.payment.bus import Bus
from tests.payment.calls import error, pay, transaction_action, transactions
from tests.payment.checkouts import check_out
from tests.support.openapi import validate_response
from tests.support.services import RunningService

SPEC = "carts-orders.yaml"
TRANSACTION = "/v2/orders/{orderID}/transactions/{transactionID}"


def money(amount: int, currency: str = "USD") -> dict[str, object]:
    return {"amount": amount, "currency": currency}


async def test_authorize_then_capture(
    shopper: httpx.AsyncClient, admin: httpx.AsyncClient, bus: Bus, payment_service: RunningService
) -> None:
    order = await check_out(bus, tax=900)  # paid at once: the checkout is not consumed yet

    response = await pay(
        shopper,
        order.order_id,
        gateway="manual",
        method="authorize",
        paymentmethod_meta={"name": "Gift card", "custom_reference": "GC-1"},
    )

    assert response.status_code == 200, response.text
    validate_response(SPEC, "/v2/orders/{orderID}/payments", "post", "200", response.json())
    txn = response.json()["data"]
    assert (txn["status"], txn["transaction_type"], txn["transaction-type"]) == (
        "complete",
        "authorize",
        "authorize",
    )
    assert (txn["amount"], txn["currency"], txn["gateway"], txn["reference"]) == (
        10900,
        "USD",
        "manual",
        "manual",
    )
    assert (txn["name"], txn["custom_reference"]) == ("Gift card", "GC-1")
    assert txn["relationships"]["order"]["data"] == {"type": "order", "id": order.order_id}
    assert txn["meta"]["display_price"] == {"amount": 10900, "currency": "USD", "formatted": "$109.00"}
    authorized = await bus.wait_for("PaymentAuthorized", transaction_id=txn["id"])
    assert authorized.data["amount"] == money(10900) and authorized.data["order_id"] == order.order_id
    await bus.settled(payment_service)
    assert bus.events("StockAllocationRequested", order_id=order.order_id) == []  # nothing managed

    refused = await transaction_action(shopper, order.order_id, txn["id"], "capture")
    assert refused.status_code == 403, refused.text

    captured = await transaction_action(admin, order.order_id, txn["id"], "capture")
    assert captured.status_code == 200, captured.text
    validate_response(SPEC, TRANSACTION + "/capture", "post", "200", captured.json())
    assert captured.json()["data"]["id"] == txn["id"]
    assert captured.json()["data"]["transaction_type"] == "capture"
    assert captured.json()["data"]["status"] == "complete"
    event = await bus.wait_for("PaymentCaptured", transaction_id=txn["id"])
    assert event.data["amount"] == money(10900)

    again = await transaction_action(admin, order.order_id, txn["id"], "capture")
    assert again.status_code == 422, again.text
    assert error(again)["title"] == "Transaction already captured"

    listed = await shopper.get(f"/v2/orders/{order.order_id}/transactions")
    validate_response(SPEC, "/v2/orders/{orderID}/transactions", "get", "200", listed.json())
    one = await shopper.get(f"/v2/orders/{order.order_id}/transactions/{txn['id']}")
    validate_response(SPEC, TRANSACTION, "get", "200", one.json())
    assert [t["id"] for t in listed.json()["data"]] == [txn["id"]]
    assert one.json()["data"]["transaction_type"] == "capture"
    await bus.settled(payment_service)  # the refused second capture has had every chance to publish
    assert len(bus.events("PaymentCaptured", transaction_id=txn["id"])) == 1


async def test_purchase_then_partial_and_full_refunds(
    shopper: httpx.AsyncClient, admin: httpx.AsyncClient, bus: Bus, payment_service: RunningService
) -> None:
    order = await check_out(bus)
    response = await pay(admin, order.order_id, gateway="manual", method="purchase")
    assert response.status_code == 200, response.text
    txn = response.json()["data"]
    assert (txn["status"], txn["transaction_type"]) == ("complete", "purchase")
    await bus.wait_for("PaymentCaptured", transaction_id=txn["id"])
    await bus.settled(payment_service)
    assert bus.events("PaymentAuthorized", transaction_id=txn["id"]) == []

    assert (
        await transaction_action(shopper, order.order_id, txn["id"], "refund", {"amount": 100})
    ).status_code == 403

    partial = await transaction_action(admin, order.order_id, txn["id"], "refund", {"amount": 2500})
    assert partial.status_code == 200, partial.text
    validate_response(SPEC, TRANSACTION + "/refund", "post", "200", partial.json())
    assert partial.json()["data"]["refunded_amount"] == 2500
    assert partial.json()["data"]["transaction_type"] == "refund"
    first = await bus.wait_for("PaymentRefunded", transaction_id=txn["id"])
    assert (first.data["amount"], first.data["refunded_total"], first.data["fully_refunded"]) == (
        money(2500),
        2500,
        False,
    )

    too_much = await transaction_action(admin, order.order_id, txn["id"], "refund", {"amount": 7501})
    assert too_much.status_code == 400, too_much.text
    assert error(too_much)["title"] == "Refund amount exceeds captured amount"
    assert (await transactions(admin, order.order_id))[0]["refunded_amount"] == 2500

    marked = await transaction_action(admin, order.order_id, txn["id"], "refund", {})  # Mark as Refunded
    assert marked.status_code == 200, marked.text
    assert marked.json()["data"]["refunded_amount"] == 10000
    assert marked.json()["data"]["meta"]["display_refunded_amount"]["total"]["amount"] == 10000
    events = await bus.wait_for_all("PaymentRefunded", 2, transaction_id=txn["id"])
    assert (events[1].data["amount"], events[1].data["refunded_total"], events[1].data["fully_refunded"]) == (
        money(7500),
        10000,
        True,
    )

    done = await transaction_action(admin, order.order_id, txn["id"], "refund", {"amount": 1})
    assert done.status_code == 422 and error(done)["title"] == "Transaction already refunded"
    paid = await pay(admin, order.order_id, gateway="manual", method="purchase")
    assert paid.status_code == 422 and error(paid)["title"] == "Order already paid"


async def test_cancel_voids_an_authorization_and_the_order_can_be_paid_again(
    shopper: httpx.AsyncClient, admin: httpx.AsyncClient, bus: Bus
) -> None:
    order = await check_out(bus)
    txn = (await pay(shopper, order.order_id, gateway="manual", method="authorize")).json()["data"]

    assert (await transaction_action(shopper, order.order_id, txn["id"], "cancel", {})).status_code == 403
    cancelled = await transaction_action(admin, order.order_id, txn["id"], "cancel", {"reason": "duplicate"})
    assert cancelled.status_code == 200, cancelled.text
    validate_response(SPEC, TRANSACTION + "/cancel", "post", "200", cancelled.json())
    assert cancelled.json()["data"]["status"] == "cancelled"
    await bus.wait_for("PaymentCancelled", transaction_id=txn["id"])

    late = await transaction_action(admin, order.order_id, txn["id"], "capture")
    assert late.status_code == 422, late.text
    again = await pay(shopper, order.order_id, gateway="manual", method="authorize")
    assert again.status_code == 200, again.text
    assert [t["status"] for t in await transactions(shopper, order.order_id)] == ["cancelled", "complete"]


async def test_split_payments_never_exceed_the_order_total(
    shopper: httpx.AsyncClient, admin: httpx.AsyncClient, bus: Bus
) -> None:
    order = await check_out(bus)
    first = await pay(shopper, order.order_id, gateway="manual", method="authorize", amount=4000)
    assert first.status_code == 200 and first.json()["data"]["amount"] == 4000

    too_much = await pay(admin, order.order_id, gateway="manual", method="purchase", amount=6001)
    assert too_much.status_code == 400, too_much.text
    assert error(too_much)["source"] == "data.amount"

    rest = await pay(admin, order.order_id, gateway="manual", method="purchase")
    assert rest.status_code == 200 and rest.json()["data"]["amount"] == 6000
    over = await pay(admin, order.order_id, gateway="manual", method="purchase", amount=1)
    assert over.status_code == 422 and error(over)["title"] == "Order already paid"

    half = await transaction_action(
        admin, order.order_id, first.json()["data"]["id"], "capture", {"amount": 5000}
    )
    assert half.status_code == 400 and error(half)["title"] == "Capture amount exceeds authorized amount"
    assert [t["amount"] for t in await transactions(admin, order.order_id)] == [4000, 6000]


async def test_concurrent_payments_of_one_order_take_its_balance_once(
    shopper: httpx.AsyncClient, admin: httpx.AsyncClient, bus: Bus
) -> None:
    order = await check_out(bus)
    await transactions(shopper, order.order_id)  # the checkout is consumed

    answers = await asyncio.gather(
        *(pay(admin, order.order_id, gateway="manual", method="purchase") for _ in range(5))
    )

    assert sorted(a.status_code for a in answers) == [200, 422, 422, 422, 422], [a.text for a in answers]
    await bus.wait_for("PaymentCaptured", order_id=order.order_id)
    assert len(await transactions(shopper, order.order_id)) == 1


async def test_a_shopper_may_not_purchase_with_the_manual_gateway(
    shopper: httpx.AsyncClient, admin: httpx.AsyncClient, bus: Bus
) -> None:
    order = await check_out(bus)

    refused = await pay(shopper, order.order_id, gateway="manual", method="purchase")

    assert refused.status_code == 403, refused.text
    assert (error(refused)["title"], error(refused)["source"]) == ("Forbidden", "data.method")
    assert await transactions(shopper, order.order_id) == []  # nothing recorded
    split = await pay(shopper, order.order_id, gateway="manual", method="purchase", amount=100)
    assert split.status_code == 403, split.text  # a part of the order no more than the whole
    authorized = await pay(shopper, order.order_id, gateway="manual", method="authorize")
    assert authorized.status_code == 200, authorized.text
    txn = authorized.json()["data"]
    captured = await transaction_action(admin, order.order_id, txn["id"], "capture")
    assert captured.status_code == 200 and captured.json()["data"]["status"] == "complete", captured.text
    assert [t["id"] for t in await transactions(shopper, order.order_id)] == [txn["id"]]
