"""Exactly once against Stripe when the service is killed (SIGKILL) between Stripe's answer and
recording it, through the PAYMENT_FAULT_KILL_AFTER_STRIPE test hook, for every call that can move
money or leave something behind: create, confirm, capture, refund and cancel. A service of its own,
so killing it disturbs no other test, talking to localstripe through `StripeFront`, which adds
Stripe's search (a PaymentIntent whose creation was cut short is found with it) and shows what the
service asked Stripe."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.payment.bus import Bus
from tests.payment.calls import STRIPE, client_of, pay, stripe_authorization, transaction_action, transactions
from tests.payment.checkouts import check_out
from tests.payment.service import StartsOwnPaymentService, killed_by_its_test_hook, with_webhook_and_bus
from tests.payment.stripe_api import LocalStripe
from tests.payment.stripe_front import SEARCH, StripeFront
from tests.payment.webhook_receipts import delivered
from tests.support.polling import poll_until
from tests.support.services import RunningService, authenticated_client

FAULT = "PAYMENT_FAULT_KILL_AFTER_STRIPE"
RECONCILE = "PAYMENT_RECONCILE_INTERVAL_SECONDS"


@pytest.fixture(scope="module")
async def crashing(
    own_payment_service: StartsOwnPaymentService, stripe_front: StripeFront, localstripe: LocalStripe
) -> AsyncIterator[tuple[RunningService, Bus]]:
    service = await own_payment_service("paycrash", stripe_front.url, **{FAULT: "confirm", RECONCILE: "1"})
    async with with_webhook_and_bus(service, localstripe) as bus:
        yield service, bus


async def _restart(service: RunningService, **env: str) -> None:
    service.env.update(env)
    for name in [k for k, v in env.items() if v == ""]:
        service.env.pop(name)
    await service.restart()


async def test_restart_reconciles_a_purchase_cut_short_after_stripe_charged(
    crashing: tuple[RunningService, Bus], localstripe: LocalStripe
) -> None:
    service, bus = crashing
    order = await check_out(bus)
    shopper = await authenticated_client(service.url, admin=False)
    with pytest.raises(httpx.TransportError):  # killed after Stripe confirmed, before recording it
        await pay(shopper, order.order_id, gateway=STRIPE, method="purchase", payment="pm_card_visa")
    await shopper.aclose()
    await killed_by_its_test_hook(service)

    await _restart(service, **{FAULT: "capture"})  # the reconciler runs every second now

    captured = await bus.wait_for("PaymentCaptured", order_id=order.order_id)
    [intent] = await localstripe.intents_of(captured.data["transaction_id"])
    assert intent["status"] == "succeeded"
    assert len(await localstripe.charge_movements(intent["latest_charge"]["id"])) == 1
    async with client_of(service.url, admin=False) as client:
        [txn] = await transactions(client, order.order_id)
    assert (txn["status"], txn["transaction_type"], txn["reference"]) == (
        "complete",
        "purchase",
        intent["id"],
    )


async def test_a_retried_capture_after_a_crash_captures_once(
    crashing: tuple[RunningService, Bus], localstripe: LocalStripe
) -> None:
    service, bus = crashing
    if service.env.get(FAULT) != "capture":
        await _restart(service, **{FAULT: "capture"})
    order = await check_out(bus)
    txn = await stripe_authorization(service.url, order.order_id)
    admin = await authenticated_client(service.url, admin=True)
    with pytest.raises(httpx.TransportError):  # killed after Stripe captured, before recording it
        await transaction_action(admin, order.order_id, txn["id"], "capture")
    await admin.aclose()
    await killed_by_its_test_hook(service)
    [intent] = await localstripe.intents_of(txn["id"])
    assert intent["status"] == "succeeded"  # Stripe took the money; we never wrote it down

    await _restart(service, **{FAULT: "", RECONCILE: "3600"})  # only the retry may reconcile now
    async with client_of(service.url, admin=True) as admin:
        retried = await transaction_action(admin, order.order_id, txn["id"], "capture")
        assert retried.status_code == 200, retried.text
        assert (retried.json()["data"]["transaction_type"], retried.json()["data"]["status"]) == (
            "capture",
            "complete",
        )
        again = await transaction_action(admin, order.order_id, txn["id"], "capture")
        assert again.status_code == 422, again.text

    await bus.wait_for("PaymentCaptured", transaction_id=txn["id"])
    # localstripe's payment_intent.succeeded about the capture went out while the service was dead
    # or restarting, once: deliver it again, so that it has certainly been applied, then settle.
    await delivered(localstripe, service, txn["reference"], "payment_intent.succeeded")
    await bus.settled(service)
    assert len(bus.events("PaymentCaptured", transaction_id=txn["id"])) == 1
    [intent] = await localstripe.intents_of(txn["id"])
    assert len(await localstripe.charge_movements(intent["latest_charge"]["id"])) == 1


async def _settled_transaction(service: RunningService, order_id: str, status: str) -> dict[str, Any]:
    """The order's one transaction once it has `status` (the reconciler runs in the background)."""
    async with client_of(service.url, admin=True) as admin:
        found = await poll_until(
            lambda: transactions(admin, order_id), lambda txns: [t["status"] for t in txns] == [status]
        )
    assert [t["status"] for t in found] == [status], found
    return found[0]


@pytest.mark.parametrize("search", [True, False], ids=["found-by-stripe-search", "found-by-scan"])
async def test_a_payment_intent_created_before_a_crash_is_found_and_voided(
    crashing: tuple[RunningService, Bus], localstripe: LocalStripe, stripe_front: StripeFront, search: bool
) -> None:
    """Killed right after Stripe created the PaymentIntent, before its id was recorded: the
    reconciler finds it by the transaction id in its metadata (Stripe's search; a scan of the recent
    ones where search is refused, as localstripe refuses it), voids it, and fails the payment, so
    the order can be paid again and no money can ever move on the orphan."""
    service, bus = crashing
    stripe_front.search = search
    await _restart(service, **{FAULT: "create", RECONCILE: "3600"})
    order = await check_out(bus)
    async with client_of(service.url, admin=False) as shopper:
        with pytest.raises(httpx.TransportError):  # killed after Stripe created it, before recording it
            await pay(shopper, order.order_id, gateway=STRIPE, method="purchase", payment="pm_card_visa")
    await killed_by_its_test_hook(service)
    asked_before = len(stripe_front.seen)

    await _restart(service, **{FAULT: "", RECONCILE: "1"})

    txn = await _settled_transaction(service, order.order_id, "failed")
    [intent] = await localstripe.intents_of(txn["id"])  # created once, never confirmed
    assert intent["status"] == "canceled"  # voided: it can never be confirmed and charged
    assert (txn["reference"], txn["failure_details"]["code"]) == (intent["id"], "abandoned")
    asked = stripe_front.seen[asked_before:]
    searches = [(s.query.get("query"), s.status) for s in asked if s.path == SEARCH]
    scans = [s for s in asked if (s.method, s.path) == ("GET", "/v1/payment_intents")]
    if search:
        assert searches and set(searches) == {(f"metadata['transaction_id']:'{txn['id']}'", 200)}, searches
        assert scans == []  # found by the search alone
    else:
        assert searches and {status for _, status in searches} == {404}, searches  # localstripe's answer
        assert scans  # so it scanned
    await bus.wait_for("PaymentFailed", transaction_id=txn["id"])  # releases the order's reservation
    async with client_of(service.url, admin=False) as shopper:
        again = await pay(shopper, order.order_id, gateway="manual", method="authorize")
    assert again.status_code == 200, again.text


async def test_a_retried_refund_after_a_crash_refunds_once(
    crashing: tuple[RunningService, Bus], localstripe: LocalStripe
) -> None:
    service, bus = crashing
    await _restart(service, **{FAULT: "", RECONCILE: "3600"})  # only the retry may reconcile
    order = await check_out(bus)
    async with client_of(service.url, admin=False) as shopper:
        paid = await pay(shopper, order.order_id, gateway=STRIPE, method="purchase", payment="pm_card_visa")
    assert paid.status_code == 200, paid.text
    txn = paid.json()["data"]
    await bus.wait_for("PaymentCaptured", transaction_id=txn["id"])

    await _restart(service, **{FAULT: "refund"})
    admin = await authenticated_client(service.url, admin=True)
    with pytest.raises(httpx.TransportError):  # killed after Stripe refunded, before recording it
        await transaction_action(admin, order.order_id, txn["id"], "refund", {"amount": 2500})
    await admin.aclose()
    await killed_by_its_test_hook(service)
    assert await _refunds(localstripe, txn["reference"]) == [
        2500
    ]  # Stripe gave it back; we never wrote it down

    await _restart(service, **{FAULT: ""})
    async with client_of(service.url, admin=True) as admin:
        retried = await transaction_action(admin, order.order_id, txn["id"], "refund", {"amount": 2500})
    assert retried.status_code == 200, retried.text
    assert (retried.json()["data"]["refunded_amount"], retried.json()["data"]["refund_mechanism"]) == (
        2500,
        "automatic",
    )
    assert await _refunds(localstripe, txn["reference"]) == [2500]  # found, not refunded again
    await bus.settled(service)
    [refunded] = bus.events("PaymentRefunded", transaction_id=txn["id"])
    assert (refunded.data["refunded_total"], refunded.data["fully_refunded"]) == (2500, False)


async def test_a_void_cut_short_by_a_crash_is_settled_by_the_reconciler(
    crashing: tuple[RunningService, Bus], localstripe: LocalStripe
) -> None:
    service, bus = crashing
    await _restart(service, **{FAULT: "", RECONCILE: "3600"})
    order = await check_out(bus)
    txn = await stripe_authorization(service.url, order.order_id)

    await _restart(service, **{FAULT: "cancel"})
    admin = await authenticated_client(service.url, admin=True)
    with pytest.raises(httpx.TransportError):  # killed after Stripe voided it, before recording it
        await transaction_action(admin, order.order_id, txn["id"], "cancel", {"reason": "duplicate"})
    await admin.aclose()
    await killed_by_its_test_hook(service)
    [intent] = await localstripe.intents_of(txn["id"])
    assert intent["status"] == "canceled"

    await _restart(service, **{FAULT: "", RECONCILE: "1"})

    assert (await _settled_transaction(service, order.order_id, "cancelled"))["id"] == txn["id"]
    await bus.wait_for("PaymentCancelled", transaction_id=txn["id"])
    await bus.settled(service)
    assert len(bus.events("PaymentCancelled", transaction_id=txn["id"])) == 1
    async with client_of(service.url, admin=False) as shopper:  # the balance is owing again
        again = await pay(shopper, order.order_id, gateway="manual", method="authorize")
    assert again.status_code == 200, again.text


async def _refunds(localstripe: LocalStripe, reference: str) -> list[int]:
    made = await localstripe.client.v1.refunds.list_async({"payment_intent": reference, "limit": 100})
    return [int(r.amount) for r in made.data]
