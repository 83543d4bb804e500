"""`Idempotency-Key` on the payment service's money-moving calls: a retry with the same key and body
answers the first answer and moves no money twice, also after a crash between the effect and the
answer; another body is a 422; another caller's key is another key; a duplicate running at the
same time waits and gets 409; Stripe is sent keys made from the client's.

A service of its own (it is killed once), talking to localstripe through a `StripeFront` that also
notes the `Idempotency-Key` header of each request: localstripe ignores the header (stripe-notes.md
§e), so what is checked is what the service sends on the wire, not that Stripe honoured it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiohttp import web

from shared.http.idempotency_faults import FAULT_ENV
from tests.payment.bus import Bus
from tests.payment.calls import client_of, transactions
from tests.payment.checkouts import check_out
from tests.payment.service import StartsOwnPaymentService, killed_by_its_test_hook, with_webhook_and_bus
from tests.payment.stripe_api import LocalStripe
from tests.payment.stripe_front import StripeFront
from tests.support.idempotency import assert_key_refused_for_another_body
from tests.support.openapi import validate_response
from tests.support.services import RunningService, authenticated_client

STRIPE = "stripe_payment_intents"
SPEC = "carts-orders.yaml"
RECONCILE = "PAYMENT_RECONCILE_INTERVAL_SECONDS"


class KeyNotingFront(StripeFront):
    """The front, also noting `(method, path, Idempotency-Key)` of every request it passes on."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.keys: list[tuple[str, str, str | None]] = []

    async def _forward(self, request: web.Request) -> web.Response:
        self.keys.append((request.method, request.path, request.headers.get("Idempotency-Key")))
        return await super()._forward(request)


@pytest.fixture(scope="module")
async def keyed(
    own_payment_service: StartsOwnPaymentService, localstripe_url: str, localstripe: LocalStripe
) -> AsyncIterator[tuple[RunningService, Bus, KeyNotingFront]]:
    front = KeyNotingFront(localstripe_url)
    await front.start()
    # Only requests reconcile: a retry must find what its first attempt did on its own.
    service = await own_payment_service("paykey", front.url, **{RECONCILE: "3600"})
    try:
        async with with_webhook_and_bus(service, localstripe) as bus:
            yield service, bus, front
    finally:
        await front.stop()


def _key() -> str:
    return f"key-{uuid4()}"


async def _pay(client: httpx.AsyncClient, order_id: str, key: str | None, **data: Any) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return await client.post(f"/v2/orders/{order_id}/payments", json={"data": data}, headers=headers)


async def _act(
    client: httpx.AsyncClient, order_id: str, txn_id: str, action: str, key: str, data: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"/v2/orders/{order_id}/transactions/{txn_id}/{action}",
        json={"data": data},
        headers={"Idempotency-Key": key},
    )


async def _refunded_twice(
    service: RunningService, order_id: str, txn_id: str, key: str, amount: int, then: int
) -> tuple[httpx.Response, httpx.Response]:
    """Two refunds of the transaction by the admin under one key, one after the other: of `amount`,
    then of `then` (the same amount for a retry, another for another body)."""
    async with client_of(service.url, admin=True) as admin:
        first = await _act(admin, order_id, txn_id, "refund", key, {"amount": amount})
        second = await _act(admin, order_id, txn_id, "refund", key, {"amount": then})
    return first, second


async def _refunds(localstripe: LocalStripe, reference: str) -> list[int]:
    made = await localstripe.client.v1.refunds.list_async({"payment_intent": reference, "limit": 100})
    return [int(r.amount) for r in made.data]


async def _purchased(service: RunningService, bus: Bus) -> tuple[str, dict[str, Any]]:
    """A new order of 10000 paid in full through Stripe, its capture announced: (order id, transaction)."""
    order = await check_out(bus)
    async with client_of(service.url, admin=False) as shopper:
        paid = await _pay(
            shopper, order.order_id, None, gateway=STRIPE, method="purchase", payment="pm_card_visa"
        )
    assert paid.status_code == 200, paid.text
    txn: dict[str, Any] = paid.json()["data"]
    await bus.wait_for("PaymentCaptured", transaction_id=txn["id"])
    return order.order_id, txn


async def _a_purchase_refunded_twice(
    service: RunningService, bus: Bus, amount: int, then: int
) -> tuple[dict[str, Any], httpx.Response, httpx.Response]:
    """A new purchase (`_purchased`) refunded twice under one new key (`_refunded_twice`), the first
    refund made: (the transaction, the first answer, the second)."""
    order_id, txn = await _purchased(service, bus)
    first, second = await _refunded_twice(service, order_id, txn["id"], _key(), amount, then)
    assert first.status_code == 200, first.text
    return txn, first, second


async def _restart(service: RunningService, fault: bool) -> None:
    if fault:
        service.env[FAULT_ENV] = "1"
    else:
        service.env.pop(FAULT_ENV, None)
    await service.restart()


async def test_a_retried_partial_refund_refunds_once_and_answers_the_same(
    keyed: tuple[RunningService, Bus, KeyNotingFront], localstripe: LocalStripe
) -> None:
    service, bus, _ = keyed
    txn, first, retried = await _a_purchase_refunded_twice(service, bus, 2500, 2500)
    assert first.json()["data"]["refunded_amount"] == 2500
    assert (retried.status_code, retried.content) == (200, first.content)  # the very same answer
    assert retried.headers.get("Idempotent-Replayed") == "true"
    refund = "/v2/orders/{orderID}/transactions/{transactionID}/refund"
    validate_response(SPEC, refund, "post", "200", retried.json())  # a replay is still EP's answer
    assert await _refunds(localstripe, txn["reference"]) == [2500]
    await bus.settled(service)
    [refunded] = bus.events("PaymentRefunded", transaction_id=txn["id"])
    assert refunded.data["refunded_total"] == 2500


async def test_a_retried_split_payment_charges_once(
    keyed: tuple[RunningService, Bus, KeyNotingFront], localstripe: LocalStripe
) -> None:
    service, bus, _ = keyed
    order = await check_out(bus)  # 10000 owing
    key = _key()
    async with client_of(service.url, admin=False) as shopper:
        body = {"gateway": STRIPE, "method": "purchase", "payment": "pm_card_visa", "amount": 4000}
        first = await _pay(shopper, order.order_id, key, **body)
        retried = await _pay(shopper, order.order_id, key, **body)
        assert first.status_code == 200, first.text
        assert (retried.status_code, retried.content) == (200, first.content)
        validate_response(SPEC, "/v2/orders/{orderID}/payments", "post", "200", retried.json())
        found = await transactions(shopper, order.order_id)
    assert [(t["id"], t["amount"]) for t in found] == [(first.json()["data"]["id"], 4000)]
    [intent] = await localstripe.intents_of(found[0]["id"])
    assert (intent["amount"], intent["status"]) == (4000, "succeeded")


async def test_the_same_key_with_another_body_is_refused(
    keyed: tuple[RunningService, Bus, KeyNotingFront], localstripe: LocalStripe
) -> None:
    service, bus, _ = keyed
    txn, _, other = await _a_purchase_refunded_twice(service, bus, 1000, 2000)
    error = assert_key_refused_for_another_body(other)
    assert "different request" in error["detail"]
    assert await _refunds(localstripe, txn["reference"]) == [1000]


async def test_a_key_is_its_callers_own(
    keyed: tuple[RunningService, Bus, KeyNotingFront], localstripe: LocalStripe
) -> None:
    """Two shoppers (two tokens) send one key with one body: each gets a payment of their own, and
    each one's retry replays their own."""
    service, bus, _ = keyed
    order = await check_out(bus)
    key = _key()
    body = {"gateway": STRIPE, "method": "purchase", "payment": "pm_card_visa", "amount": 3000}
    async with client_of(service.url, admin=False) as one, client_of(service.url, admin=False) as other:
        ones = await _pay(one, order.order_id, key, **body)
        others = await _pay(other, order.order_id, key, **body)
        ones_again = await _pay(one, order.order_id, key, **body)
        others_again = await _pay(other, order.order_id, key, **body)
        found = await transactions(one, order.order_id)
    assert ones.status_code == others.status_code == 200, (ones.text, others.text)
    assert ones.json()["data"]["id"] != others.json()["data"]["id"]
    assert (ones_again.content, others_again.content) == (ones.content, others.content)
    assert sorted(t["id"] for t in found) == sorted([ones.json()["data"]["id"], others.json()["data"]["id"]])
    for txn in found:
        assert len(await localstripe.intents_of(txn["id"])) == 1


async def test_a_duplicate_running_at_the_same_time_gets_409_and_moves_nothing(
    keyed: tuple[RunningService, Bus, KeyNotingFront], localstripe: LocalStripe
) -> None:
    service, bus, front = keyed
    order_id, txn = await _purchased(service, bus)
    key = _key()
    held = front.hold("POST", "/v1/refunds")  # the first refund waits at "Stripe"
    async with client_of(service.url, admin=True) as admin:
        first = asyncio.create_task(_act(admin, order_id, txn["id"], "refund", key, {"amount": 1500}))
        await asyncio.wait_for(held.arrived.wait(), 30)
        duplicate = await _act(admin, order_id, txn["id"], "refund", key, {"amount": 1500})
        held.release()
        answered = await first
        retried = await _act(admin, order_id, txn["id"], "refund", key, {"amount": 1500})
    assert duplicate.status_code == 409, duplicate.text
    [error] = duplicate.json()["errors"]
    assert (error["status"], error["source"]) == (409, "Idempotency-Key")
    assert answered.status_code == 200, answered.text
    assert retried.content == answered.content
    assert await _refunds(localstripe, txn["reference"]) == [1500]


async def test_stripe_is_sent_keys_made_from_the_clients(
    keyed: tuple[RunningService, Bus, KeyNotingFront],
) -> None:
    """Each Stripe call of a keyed request carries `<client key>:<caller's scope>:<call>` (localstripe
    ignores it; real Stripe would replay the first answer of a repeated call)."""
    service, bus, front = keyed
    order = await check_out(bus)
    pay_key, capture_key = _key(), _key()
    before = len(front.keys)
    async with client_of(service.url, admin=False) as shopper:
        body = {"gateway": STRIPE, "method": "authorize", "payment": "pm_card_visa"}
        paid = await _pay(shopper, order.order_id, pay_key, **body)
    assert paid.status_code == 200, paid.text
    txn = paid.json()["data"]
    async with client_of(service.url, admin=True) as admin:
        captured = await _act(admin, order.order_id, txn["id"], "capture", capture_key, {})
    assert captured.status_code == 200, captured.text
    sent = [(method, path, key) for method, path, key in front.keys[before:] if method == "POST"]
    reference = txn["reference"]
    assert [(path, (key or "").rsplit(":", 2)[::2]) for _, path, key in sent] == [
        ("/v1/payment_intents", [pay_key, "create"]),
        (f"/v1/payment_intents/{reference}/confirm", [pay_key, "confirm"]),
        (f"/v1/payment_intents/{reference}/capture", [capture_key, "capture"]),
    ]


async def test_a_refund_cut_short_before_its_answer_is_retried_without_refunding_again(
    keyed: tuple[RunningService, Bus, KeyNotingFront], localstripe: LocalStripe
) -> None:
    """Killed after the refund was made and recorded, before its answer was kept or sent."""
    service, bus, _ = keyed
    order_id, txn = await _purchased(service, bus)
    key = _key()
    await _restart(service, fault=True)
    admin = await authenticated_client(service.url, admin=True)
    with pytest.raises(httpx.TransportError):
        await _act(admin, order_id, txn["id"], "refund", key, {"amount": 2500})
    await admin.aclose()
    await killed_by_its_test_hook(service)
    assert await _refunds(localstripe, txn["reference"]) == [2500]  # the effect happened

    await _restart(service, fault=False)
    retried, again = await _refunded_twice(service, order_id, txn["id"], key, 2500, 2500)
    assert retried.status_code == 200, retried.text
    data = retried.json()["data"]
    assert (data["id"], data["refunded_amount"], data["transaction_type"]) == (txn["id"], 2500, "refund")
    assert again.content == retried.content
    assert await _refunds(localstripe, txn["reference"]) == [2500]  # not refunded again
    await bus.settled(service)
    assert [e.data["refunded_total"] for e in bus.events("PaymentRefunded", transaction_id=txn["id"])] == [
        2500
    ]


async def test_a_split_payment_cut_short_before_its_answer_is_retried_without_charging_again(
    keyed: tuple[RunningService, Bus, KeyNotingFront], localstripe: LocalStripe
) -> None:
    service, bus, _ = keyed
    order = await check_out(bus)
    key = _key()
    body = {"gateway": STRIPE, "method": "purchase", "payment": "pm_card_visa", "amount": 6000}
    await _restart(service, fault=True)
    shopper = await authenticated_client(service.url, admin=False)
    with pytest.raises(httpx.TransportError):
        await _pay(shopper, order.order_id, key, **body)
    await killed_by_its_test_hook(service)

    await _restart(service, fault=False)
    retried = await _pay(shopper, order.order_id, key, **body)  # the same token: the same caller
    assert retried.status_code == 200, retried.text
    found = await transactions(shopper, order.order_id)
    await shopper.aclose()
    data = retried.json()["data"]
    assert (data["amount"], data["status"], data["transaction_type"]) == (6000, "complete", "purchase")
    assert [t["id"] for t in found] == [data["id"]]  # the first attempt's transaction, resumed
    [intent] = await localstripe.intents_of(data["id"])
    assert (intent["amount"], intent["status"]) == (6000, "succeeded")
    assert len(await localstripe.charge_movements(intent["latest_charge"]["id"])) == 1
