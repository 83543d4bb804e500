"""Two captures of one Stripe authorisation at the same time take the money once.

The first capture is held at "Stripe" (`StripeFront.hold`) while it holds the transaction's lock;
the second is sent only then, and the first is let go only once the second is seen waiting for that
lock (its session's last statement is the lock attempt, in `pg_stat_activity`): the two really
overlap, on a busy machine too. Without the lock the second would reach Stripe as well, and
localstripe would refuse the second capture (400) or, were the first still unrecorded, capture it.
A service of its own, which waits for the lock longer than the test can take (PAYMENT_LOCK_WAIT_SECONDS)
and runs no reconciler that could take the lock meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from tests.payment.bus import Bus
from tests.payment.calls import client_of, error, stripe_authorization, transaction_action
from tests.payment.checkouts import check_out
from tests.payment.service import StartsOwnPaymentService, with_webhook_and_bus
from tests.payment.stripe_api import LocalStripe
from tests.payment.stripe_front import StripeFront
from tests.payment.webhook_receipts import webhooks_applied
from tests.support.polling import poll_until
from tests.support.services import RunningService

_WAITING_FOR_A_LOCK = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'
  AND query LIKE 'SELECT pg_try_advisory_lock(%'
"""


@pytest.fixture(scope="module")
async def fronted(
    own_payment_service: StartsOwnPaymentService, stripe_front: StripeFront, localstripe: LocalStripe
) -> AsyncIterator[tuple[RunningService, Bus]]:
    service = await own_payment_service(
        "paycap",
        stripe_front.url,
        PAYMENT_LOCK_WAIT_SECONDS="120",
        PAYMENT_RECONCILE_INTERVAL_SECONDS="3600",
    )
    async with with_webhook_and_bus(service, localstripe) as bus:
        yield service, bus


async def _a_request_waits_for_a_lock(service: RunningService) -> None:
    """Once a session of the payment database sits idle right after a lock attempt: with the first
    capture holding the lock (and nothing else taking one), that is the second capture, refused it
    and trying again every 50 ms."""

    async def waiting() -> int:
        conn = await asyncpg.connect(service.env["DATABASE_URL"])
        try:
            return int(await conn.fetchval(_WAITING_FOR_A_LOCK))
        finally:
            await conn.close()

    assert await poll_until(waiting, lambda sessions: sessions > 0, interval=0.02) > 0, "nobody waits"


async def test_two_captures_at_once_capture_at_stripe_once(
    fronted: tuple[RunningService, Bus], stripe_front: StripeFront, localstripe: LocalStripe
) -> None:
    service, bus = fronted
    order = await check_out(bus)
    txn = await stripe_authorization(service.url, order.order_id)
    capture_path = f"/v1/payment_intents/{txn['reference']}/capture"
    held = stripe_front.hold("POST", capture_path)

    async with client_of(service.url, admin=True) as admin, client_of(service.url, admin=True) as other:
        first = asyncio.create_task(transaction_action(admin, order.order_id, txn["id"], "capture"))
        await asyncio.wait_for(held.arrived.wait(), 60)  # at Stripe, holding the lock
        second = asyncio.create_task(transaction_action(other, order.order_id, txn["id"], "capture"))
        try:
            await _a_request_waits_for_a_lock(service)
        finally:
            held.release()
        answers: list[httpx.Response] = [await first, await second]

    assert [a.status_code for a in answers] == [200, 422], [a.text for a in answers]
    assert answers[0].json()["data"]["transaction_type"] == "capture"
    assert error(answers[1])["title"] == "Transaction already captured"
    assert [s.status for s in stripe_front.requests("POST", capture_path)] == [200]  # one call, not two
    [intent] = await localstripe.intents_of(txn["id"])
    assert intent["status"] == "succeeded"
    assert len(await localstripe.charge_movements(intent["latest_charge"]["id"])) == 1
    await webhooks_applied(localstripe, service, txn["reference"], "payment_intent.succeeded")
    await bus.settled(service)
    assert len(bus.events("PaymentCaptured", transaction_id=txn["id"])) == 1
