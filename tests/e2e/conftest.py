"""Several services as real processes sharing one Kafka (own databases, one topic prefix)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from tests.e2e.shop import api_clients
from tests.support.services import RunningService, start_service


@pytest.fixture(scope="module")
def topic_prefix() -> str:
    return f"e2e{uuid4().hex[:8]}."


async def _service(
    module: str, postgres, kafka: str, prefix: str, work: Path, **extra: str
) -> RunningService:
    database = f"{module.split('.')[-1]}_{uuid4().hex[:8]}"
    await postgres.create_database(database)
    env = {
        "DATABASE_URL": postgres.dsn(database),
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "TOPIC_PREFIX": prefix,
        **extra,
    }
    return await start_service(module, env, work)


def service_fixture(name: str, **extra: str) -> Any:
    """A module-scoped fixture running `services.<name>` with its own database; an `extra` value
    of "@localstripe" stands for the session's localstripe URL."""

    @pytest.fixture(scope="module")
    async def running(
        postgres, kafka_bootstrap_servers, topic_prefix, localstripe_url, tmp_path_factory
    ) -> AsyncIterator[RunningService]:
        settings = {k: (localstripe_url if v == "@localstripe" else v) for k, v in extra.items()}
        service = await _service(
            f"services.{name}",
            postgres,
            kafka_bootstrap_servers,
            topic_prefix,
            tmp_path_factory.mktemp(name),
            **settings,
        )
        yield service
        service.stop()

    return running


cart_service = service_fixture("cart")
# An order read right after checkout waits for the checkout to be consumed: 3 s by default, which a
# busy machine can exceed; the test of that promise is about the answer, not the wait's length.
order_service = service_fixture("order", ORDER_CHECKOUT_WAIT_SECONDS="30")
fulfillment_service = service_fixture("fulfillment")
inventory_service = service_fixture("inventory")
payment_service = service_fixture(
    "payment",
    STRIPE_API_KEY="sk_test_12345",
    STRIPE_API_BASE="@localstripe",
    STRIPE_WEBHOOK_SECRET="whsec_e2e",
    # A payment asked for right after checkout waits for the order to be consumed; on a busy
    # machine that can take longer than the 5 s default, and these tests are not about the wait.
    PAYMENT_ORDER_WAIT_SECONDS="30",
)


@pytest.fixture(scope="module")
async def api(cart_service, order_service, payment_service, inventory_service, fulfillment_service):
    """Clients for every role against the five running services (see `tests.e2e.shop`)."""
    clients = await api_clients(cart_service, order_service, payment_service, inventory_service)
    yield clients
    for client in clients.values():
        await client.aclose()
