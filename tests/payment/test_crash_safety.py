"""Exactly once against Stripe when the service is killed (SIGKILL) between Stripe's answer and
recording it, through the PAYMENT_FAULT_KILL_AFTER_STRIPE test hook; a service of its own, so
killing it disturbs no other test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.payment.bus import Bus
from tests.payment.calls import client_of, pay, transaction_action, transactions
from tests.payment.checkouts import check_out
from tests.payment.service import WEBHOOK_PATH, payment_environment, start_payment_service
from tests.payment.stripe_api import LocalStripe
from tests.payment.webhook_receipts import delivered
from tests.support.services import RunningService, authenticated_client

STRIPE = "stripe_payment_intents"
FAULT = "PAYMENT_FAULT_KILL_AFTER_STRIPE"
RECONCILE = "PAYMENT_RECONCILE_INTERVAL_SECONDS"


@pytest.fixture(scope="module")
async def crashing(
    postgres: Any,
    kafka_bootstrap_servers: str,
    localstripe_url: str,
    localstripe: LocalStripe,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[RunningService, Bus]]:
    prefix = f"paycrash{uuid4().hex[:8]}."
    env = await payment_environment(postgres, kafka_bootstrap_servers, prefix, localstripe_url)
    service = await start_payment_service(
        {**env, FAULT: "confirm", RECONCILE: "1"}, tmp_path_factory.mktemp("crash")
    )
    await localstripe.register_webhook(f"payment-{prefix}", service.url + WEBHOOK_PATH)
    bus = Bus(kafka_bootstrap_servers, prefix)
    await bus.start()
    yield service, bus
    await localstripe.unregister_webhook(f"payment-{prefix}")
    await bus.stop()
    service.stop()


async def _died(service: RunningService) -> None:
    for _ in range(100):
        if service.process.returncode is not None:
            assert service.process.returncode == -9  # SIGKILL, by the test hook
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the service did not die")


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
    await _died(service)

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
    async with client_of(service.url, admin=False) as shopper:
        response = await pay(
            shopper, order.order_id, gateway=STRIPE, method="authorize", payment="pm_card_visa"
        )
    assert response.status_code == 200, response.text
    txn = response.json()["data"]
    admin = await authenticated_client(service.url, admin=True)
    with pytest.raises(httpx.TransportError):  # killed after Stripe captured, before recording it
        await transaction_action(admin, order.order_id, txn["id"], "capture")
    await admin.aclose()
    await _died(service)
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
