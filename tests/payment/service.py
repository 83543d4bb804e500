"""Starting the payment service as a process, configured for localstripe and the test's Kafka."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
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


@asynccontextmanager
async def with_webhook_and_bus(
    service: RunningService, localstripe: LocalStripe, kafka: str, prefix: str
) -> AsyncIterator[Bus]:
    """The service receiving localstripe's webhooks, and a bus reading its topics; both undone,
    and the service stopped, on exit."""
    await localstripe.register_webhook(f"payment-{prefix}", service.url + WEBHOOK_PATH)
    try:
        async with Bus(kafka, prefix) as bus:
            yield bus
    finally:
        await localstripe.unregister_webhook(f"payment-{prefix}")
        service.stop()
