"""Every incoming Stripe webhook is recorded with what became of it, and `checkout-admin webhooks`
lists the log and retries a failed one (issue 17): a real payment service, localstripe, Kafka and
the admin tool as a separate process.

The failure is a real one: the test holds, in an open transaction of its own, the inbox row the
webhook's apply must write, and the store's database gives up waiting on a lock after a second
(`lock_timeout`), so the apply raises inside the service, whose code is untouched.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx

from services.payment.adapters.gateways.stripe import NAME as STRIPE
from services.payment.application.webhooks import inbox_id
from tests.e2e.operator import admin_environment, run_admin
from tests.payment.bus import Bus
from tests.payment.calls import client_of, pay, transactions
from tests.payment.checkouts import check_out
from tests.payment.service import WEBHOOK_PATH, payment_environment, start_payment_service
from tests.payment.signing import signed
from tests.payment.stripe_api import WEBHOOK_SECRET, LocalStripe
from tests.payment.webhook_receipts import stripe_events, webhooks_applied
from tests.support.polling import poll_until
from tests.support.services import RunningService

SUCCEEDED = "payment_intent.succeeded"
PADDING = "x" * 10_000  # a forged body far larger than the prefix kept of it


async def _deliveries(env: dict[str, str], since: datetime, *more: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(
        await run_admin(env, "webhooks", "list", "--since", since.isoformat(), "--json", *more)
    )
    return listed


def _of(listed: list[dict[str, Any]], event_id: str) -> list[dict[str, Any]]:
    return [d for d in listed if d["event_id"] == event_id]


async def _paid_with_stripe(bus: Bus, shopper: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    order = await check_out(bus)
    answer = await pay(shopper, order.order_id, gateway=STRIPE, method="authorize", payment="pm_card_visa")
    assert answer.status_code == 200, answer.text
    return order.order_id, answer.json()["data"]


def _event(event_id: str, kind: str, obj: dict[str, Any], *, padding: str = "") -> dict[str, Any]:
    event = {"id": event_id, "object": "event", "type": kind, "created": 0, "data": {"object": obj}}
    return {**event, "padding": padding} if padding else event


async def test_each_delivery_is_recorded_with_its_outcome_and_listed(
    shopper: httpx.AsyncClient,
    bus: Bus,
    localstripe: LocalStripe,
    payment_service: RunningService,
    kafka_bootstrap_servers: str,
    topic_prefix: str,
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    env = admin_environment({"payment": payment_service}, kafka_bootstrap_servers, topic_prefix)
    order_id, txn = await _paid_with_stripe(bus, shopper)

    # localstripe tells the service of a capture made outside it: a genuine delivery that changes it
    await localstripe.client.v1.payment_intents.capture_async(txn["reference"])
    [genuine] = await webhooks_applied(localstripe, payment_service, txn["reference"], SUCCEEDED)
    [event] = [e for e in await stripe_events(localstripe, txn["reference"], SUCCEEDED) if e["id"] == genuine]
    intent = event["data"]["object"]

    forged = _event(f"evt_forged_{uuid4().hex[:8]}", SUCCEEDED, intent, padding=PADDING)
    not_ours = _event(
        f"evt_other_{uuid4().hex[:8]}", SUCCEEDED, {**intent, "id": "pi_" + uuid4().hex, "metadata": {}}
    )
    unhandled = _event(
        f"evt_cust_{uuid4().hex[:8]}", "customer.created", {"id": "cus_1", "object": "customer"}
    )
    async with httpx.AsyncClient(base_url=payment_service.url, timeout=30) as webhooks:

        async def post(body: bytes, headers: dict[str, str]) -> httpx.Response:
            return await webhooks.post(WEBHOOK_PATH, content=body, headers=headers)

        again = await post(*signed(event, WEBHOOK_SECRET))
        assert again.status_code == 200 and again.json()["changed"] is False, again.text
        bad = await post(*signed(forged, "whsec_not_ours"))
        assert bad.status_code == 400, bad.text
        garbage = await post(b"\x00not json", {"Stripe-Signature": "t=1,v1=00"})
        assert garbage.status_code == 400, garbage.text
        for ignored in (not_ours, unhandled):
            answer = await post(*signed(ignored, WEBHOOK_SECRET))
            assert answer.status_code == 200 and answer.json()["changed"] is False, answer.text

    # the last delivery sent, and localstripe's (recorded after its commit, so maybe after ours), listed
    listed = await poll_until(
        lambda: _deliveries(env, since),
        lambda found: bool(_of(found, unhandled["id"])) and len(_of(found, genuine)) == 2,
    )
    by_outcome = {d["outcome"]: d for d in _of(listed, genuine)}
    first, duplicate = by_outcome["applied"], by_outcome["duplicate"]
    assert (first["outcome"], first["changed"], first["signature_ok"], first["type"]) == (
        "applied",
        True,
        True,
        SUCCEEDED,
    ), first
    assert (duplicate["outcome"], duplicate["changed"]) == ("duplicate", False), duplicate
    [rejected] = _of(listed, forged["id"])
    assert (rejected["outcome"], rejected["signature_ok"], rejected["retryable"]) == (
        "rejected",
        False,
        False,
    )
    assert "signature" in rejected["detail"].lower(), rejected
    [unreadable] = [d for d in listed if d["outcome"] == "rejected" and d["event_id"] is None]
    assert unreadable["type"] is None and unreadable["signature_ok"] is False, unreadable
    [other] = _of(listed, not_ours["id"])
    assert (other["outcome"], other["signature_ok"], other["detail"]) == (
        "ignored",
        True,
        "not one of this store's payments",
    ), other
    [customer] = _of(listed, unhandled["id"])
    assert (customer["outcome"], customer["type"]) == ("ignored", "customer.created"), customer
    [current] = await transactions(shopper, order_id)
    assert current["transaction_type"] == "capture", current

    # an unverified body is kept as a short prefix only; a verified one whole (to retry it from)
    conn = await asyncpg.connect(payment_service.env["DATABASE_URL"])
    try:
        kept = await conn.fetchrow(
            "SELECT octet_length(payload) AS size, payload_whole FROM webhook_deliveries WHERE delivery = $1",
            rejected["delivery"],
        )
        whole = await conn.fetchval(
            "SELECT payload FROM webhook_deliveries WHERE delivery = $1", first["delivery"]
        )
    finally:
        await conn.close()
    assert (kept["size"], kept["payload_whole"]) == (512, False), dict(kept)
    assert json.loads(whole)["id"] == genuine

    applied_only = await _deliveries(env, since, "--outcome", "applied")
    assert applied_only and {d["outcome"] for d in applied_only} == {"applied"}, applied_only
    assert first["delivery"] in [d["delivery"] for d in applied_only]

    table = await run_admin(env, "webhooks", "list", "--since", since.isoformat())
    rows = {line.split()[0]: line.split() for line in table.splitlines()[1:-1]}
    for delivery, outcome, signature in (
        (first, "applied", "ok"),
        (duplicate, "duplicate", "ok"),
        (rejected, "rejected", "bad"),
        (other, "ignored", "ok"),
    ):
        shown = rows[str(delivery["delivery"])]
        assert shown[2:6] == [delivery["event_id"][:30], SUCCEEDED, signature, outcome], (shown, table)
    assert table.splitlines()[0].split()[:6] == [
        "delivery",
        "received_at",
        "event_id",
        "type",
        "signature",
        "outcome",
    ]


async def test_a_failed_apply_is_recorded_and_retried_once(
    postgres: Any,
    kafka_bootstrap_servers: str,
    localstripe_url: str,
    localstripe: LocalStripe,
    tmp_path: Path,
) -> None:
    prefix = f"payhook{uuid4().hex[:8]}."
    env = await payment_environment(postgres, kafka_bootstrap_servers, prefix, localstripe_url)
    database = env["DATABASE_URL"].rsplit("/", 1)[1]
    setup = await asyncpg.connect(env["DATABASE_URL"])
    try:  # this store's database gives up waiting for a lock after a second
        await setup.execute(f"ALTER DATABASE \"{database}\" SET lock_timeout = '1s'")
    finally:
        await setup.close()
    service = await start_payment_service(env, tmp_path)  # localstripe's own webhooks do not reach it
    admin_env = admin_environment({"payment": service}, kafka_bootstrap_servers, prefix)
    since = datetime.now(UTC) - timedelta(seconds=1)
    try:
        async with (
            Bus(kafka_bootstrap_servers, prefix) as bus,
            client_of(service.url, admin=True) as admin,
            client_of(service.url, admin=False) as shopper,
        ):
            order_id, txn = await _paid_with_stripe(bus, shopper)
            await localstripe.client.v1.payment_intents.capture_async(txn["reference"])
            [event] = await poll_until(
                lambda: stripe_events(localstripe, txn["reference"], SUCCEEDED), lambda found: bool(found)
            )

            holder = await asyncpg.connect(env["DATABASE_URL"])
            held = holder.transaction()
            await held.start()
            try:  # the inbox row the apply must write, inserted and held uncommitted
                await holder.execute(
                    "INSERT INTO inbox (consumer, event_id, topic) VALUES ($1, $2, $1)",
                    f"webhook:{STRIPE}",
                    inbox_id(STRIPE, event["id"]),
                )
                async with httpx.AsyncClient(base_url=service.url, timeout=30) as webhooks:
                    body, headers = signed(event, WEBHOOK_SECRET)
                    failed = await webhooks.post(WEBHOOK_PATH, content=body, headers=headers)
                assert failed.status_code == 500, failed.text  # 5xx: Stripe delivers it again
            finally:
                await held.rollback()
                await holder.close()

            [recorded] = _of(await _deliveries(admin_env, since, "--outcome", "failed"), event["id"])
            assert (recorded["signature_ok"], recorded["retryable"], recorded["settled_by"]) == (
                True,
                True,
                None,
            )
            assert "LockNotAvailable" in recorded["detail"], recorded
            [current] = await transactions(admin, order_id)
            assert current["transaction_type"] == "authorize", current

            would = await run_admin(admin_env, "webhooks", "retry", "--failed", "--dry-run", "--json")
            assert [d["delivery"] for d in json.loads(would)] == [recorded["delivery"]], would
            [current] = await transactions(admin, order_id)
            assert current["transaction_type"] == "authorize", current

            [retried] = json.loads(await run_admin(admin_env, "webhooks", "retry", "--failed", "--json"))
            assert (retried["retry_of"], retried["outcome"], retried["changed"]) == (
                recorded["delivery"],
                "applied",
                True,
            ), retried
            [current] = await transactions(admin, order_id)
            assert current["transaction_type"] == "capture", current
            await bus.wait_for("PaymentCaptured", transaction_id=txn["id"])

            assert json.loads(await run_admin(admin_env, "webhooks", "retry", "--failed", "--json")) == []
            [again] = json.loads(
                await run_admin(admin_env, "webhooks", "retry", str(recorded["delivery"]), "--json")
            )
            assert (again["outcome"], again["changed"]) == ("duplicate", False), again

            listed = _of(await _deliveries(admin_env, since), event["id"])
            assert [(d["outcome"], d["retry_of"]) for d in listed] == [
                ("failed", None),
                ("applied", recorded["delivery"]),
                ("duplicate", recorded["delivery"]),
            ], listed
            assert listed[0]["settled_by"] == retried["delivery"], listed
            await bus.settled(
                service
            )  # the retries' outbox rows relayed: a second capture would be on the bus
            assert len(bus.events("PaymentCaptured", transaction_id=txn["id"])) == 1
    finally:
        service.stop()


async def test_forged_deliveries_keep_only_the_newest_rows(
    postgres: Any,
    kafka_bootstrap_servers: str,
    localstripe_url: str,
    tmp_path: Path,
) -> None:
    """Anyone can post a forged delivery: the log keeps the newest WEBHOOK_REJECTED_KEPT of them, so a
    flood cannot grow the table without bound, and no verified delivery is dropped with them."""
    prefix = f"payflood{uuid4().hex[:8]}."
    env = await payment_environment(postgres, kafka_bootstrap_servers, prefix, localstripe_url)
    service = await start_payment_service({**env, "WEBHOOK_REJECTED_KEPT": "3"}, tmp_path)
    verified = _event(
        f"evt_cust_{uuid4().hex[:8]}", "customer.created", {"id": "cus_1", "object": "customer"}
    )
    forged = [_event(f"evt_forged_{n}_{uuid4().hex[:8]}", SUCCEEDED, {"id": "pi_x"}) for n in range(7)]
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=30) as webhooks:
            body, headers = signed(verified, WEBHOOK_SECRET)
            ignored = await webhooks.post(WEBHOOK_PATH, content=body, headers=headers)
            assert ignored.status_code == 200, ignored.text
            for event in forged:
                body, headers = signed(event, "whsec_not_ours")
                answer = await webhooks.post(WEBHOOK_PATH, content=body, headers=headers)
                assert answer.status_code == 400, answer.text
        conn = await asyncpg.connect(env["DATABASE_URL"])
        try:
            kept = await conn.fetch("SELECT event_id, outcome FROM webhook_deliveries ORDER BY delivery")
        finally:
            await conn.close()
    finally:
        service.stop()
    assert [(r["event_id"], r["outcome"]) for r in kept] == [(verified["id"], "ignored")] + [
        (e["id"], "rejected") for e in forged[-3:]
    ], kept
