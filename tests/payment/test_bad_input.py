"""Requests Elastic Path refuses: each gets its error document, and nothing changes."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from tests.payment.bus import Bus
from tests.payment.calls import error, pay, transaction_action, transactions
from tests.payment.checkouts import cancel_order, check_out
from tests.support.openapi import validate_response
from tests.support.polling import poll_until
from tests.support.services import RunningService


async def test_invalid_payment_requests(
    shopper: httpx.AsyncClient, bus: Bus, payment_service: RunningService
) -> None:
    order = await check_out(bus)

    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"gateway": "bitcoin", "method": "purchase"}, "data.gateway", "enum"),
        ({"gateway": "manual", "method": "purchase_setup"}, "data.method", "enum"),
        ({"method": "purchase"}, "data.gateway", "required"),
        ({"gateway": "stripe_payment_intents", "method": "purchase"}, "data.payment", "required"),
        ({"gateway": "manual", "method": "purchase", "amount": "100"}, "data.amount", "type"),
        ({"gateway": "manual", "method": "purchase", "amount": 0}, "data.amount", "minimum"),
    ]
    for data, source, title in cases:
        response = await pay(shopper, order.order_id, **data)
        assert response.status_code == 400, (data, response.text)
        assert (error(response)["source"], error(response)["title"]) == (source, title), data

    unknown_card = await pay(
        shopper,
        order.order_id,
        gateway="stripe_payment_intents",
        method="purchase",
        payment="pm_no_such_card",
    )
    assert unknown_card.status_code == 400, unknown_card.text
    assert error(unknown_card)["title"] == "Payment gateway processing failed"
    [failed] = await transactions(shopper, order.order_id)
    assert failed["status"] == "failed"

    no_data = await shopper.post(f"/v2/orders/{order.order_id}/payments", json={})
    assert no_data.status_code == 400 and error(no_data)["source"] == "data"
    broken = await shopper.post(
        f"/v2/orders/{order.order_id}/payments", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400 and error(broken)["detail"] == "Malformed JSON"
    assert [t["id"] for t in await transactions(shopper, order.order_id)] == [failed["id"]]
    await bus.settled(payment_service)  # anything the refused requests published is on the bus now
    published = [
        (e.event_type, e.data.get("transaction_id") or e.data.get("request_id"))
        for e in bus.seen
        if e.data.get("order_id") == order.order_id
    ]
    assert published == [("PaymentFailed", failed["id"])]  # the declined card's, and nothing else


async def test_a_cancelled_order_cannot_be_paid(
    shopper: httpx.AsyncClient, admin: httpx.AsyncClient, bus: Bus
) -> None:
    # An unknown order's 404 (after the 15 s order wait here): tests/security/test_unknown_order_ids.py
    order = await check_out(bus)
    await cancel_order(bus, order.order_id)

    async def pay_or_void() -> httpx.Response:
        """The cancellation comes on its own topic: until it is consumed, a payment goes through,
        and is voided so the next try starts clean."""
        response = await pay(shopper, order.order_id, gateway="manual", method="authorize")
        if response.status_code == 200:
            await transaction_action(admin, order.order_id, response.json()["data"]["id"], "cancel", {})
        return response

    response = await poll_until(pay_or_void, lambda r: r.status_code != 200)
    assert response.status_code == 422 and error(response)["title"] == "Order cancelled", response.text


async def test_transactions_that_do_not_exist_or_belong_elsewhere(
    shopper: httpx.AsyncClient, admin: httpx.AsyncClient, bus: Bus
) -> None:
    order, other = await check_out(bus), await check_out(bus)
    txn = (await pay(shopper, order.order_id, gateway="manual", method="authorize")).json()["data"]

    elsewhere = await shopper.get(f"/v2/orders/{other.order_id}/transactions/{txn['id']}")
    assert elsewhere.status_code == 404, elsewhere.text
    missing = await transaction_action(admin, order.order_id, str(uuid4()), "capture")
    assert missing.status_code == 404, missing.text
    not_captured = await transaction_action(admin, order.order_id, txn["id"], "refund", {"amount": 100})
    assert not_captured.status_code == 422 and error(not_captured)["title"] == "Transaction not refundable"
    assert (await transactions(admin, order.order_id))[0]["transaction_type"] == "authorize"


async def test_tokens_are_required(payment_service: RunningService, bus: Bus) -> None:
    order = await check_out(bus)
    async with httpx.AsyncClient(base_url=payment_service.url) as anonymous:
        response = await anonymous.get(f"/v2/orders/{order.order_id}/transactions")
    assert response.status_code == 401
    validate_response("carts-orders.yaml", "/v2/orders/{orderID}/transactions", "get", "401", response.json())
