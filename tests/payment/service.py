"""Starting the payment service as a process, configured for localstripe and the test's Kafka, and
seeing it killed by its test hook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol
from uuid import uuid4

from tests.payment.bus import Bus
from tests.payment.stripe_api import API_KEY, WEBHOOK_SECRET, LocalStripe
from tests.support.services import RunningService, start_service

# Both cross Kafka: a checkout published by the test must be consumed before a payment can find
# its order, and an allocation request goes out and its answer comes back (two hops and the relay).
# A few seconds raced a busy machine; only the test of a silent inventory waits the whole timeout.
ALLOCATION_TIMEOUT_SECONDS = "15"
ORDER_WAIT_SECONDS = "15"
WEBHOOK_PATH = "/v2/webhooks/stripe"


async def payment_environment(postgres: Any, kafka: str, prefix: str, localstripe_url: str) -> dict[str, str]:
    database = f"payment_{uuid4().hex[:10]}"
    await postgres.create_database(database)
    return {
        "DATABASE_URL": postgres.dsn(database),
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "TOPIC_PREFIX": prefix,
        "STRIPE_API_KEY": API_KEY,
        "STRIPE_API_BASE": localstripe_url,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PAYMENT_ALLOCATION_TIMEOUT_SECONDS": ALLOCATION_TIMEOUT_SECONDS,
        "PAYMENT_ORDER_WAIT_SECONDS": ORDER_WAIT_SECONDS,
    }


async def start_payment_service(env: Mapping[str, str], work: Path) -> RunningService:
    return await start_service("services.payment", env, work)


class StartsOwnPaymentService(Protocol):
    """Starts a payment service of a test module's own: its own database, topics (`<name><hex>.`) and
    work folder, so that killing, reconfiguring or measuring it disturbs no other test."""

    async def __call__(self, name: str, stripe_url: str, **env: str) -> RunningService: ...


@asynccontextmanager
async def with_webhook_and_bus(service: RunningService, localstripe: LocalStripe) -> AsyncIterator[Bus]:
    """The service receiving localstripe's webhooks, and a bus reading its topics; both undone,
    and the service stopped, on exit."""
    kafka, prefix = service.env["KAFKA_BOOTSTRAP_SERVERS"], service.env["TOPIC_PREFIX"]
    await localstripe.register_webhook(f"payment-{prefix}", service.url + WEBHOOK_PATH)
    try:
        async with Bus(kafka, prefix) as bus:
            yield bus
    finally:
        await localstripe.unregister_webhook(f"payment-{prefix}")
        service.stop()


async def killed_by_its_test_hook(service: RunningService, *, within: float = 10) -> None:
    """Once the service's process has died of the SIGKILL its fault hook sends itself; fails if it
    lives on `within` seconds or died of something else."""
    for _ in range(int(within / 0.05)):
        if service.process.returncode is not None:
            assert service.process.returncode == -9  # SIGKILL, by the test hook
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the service did not die")
