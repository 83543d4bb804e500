"""Several services as real processes sharing one Kafka (own databases, one topic prefix)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.e2e.operator import admin_environment
from tests.e2e.shop import api_clients
from tests.support.services import RunningService, authenticated_client, start_service


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
    """A module-scoped fixture running `services.<name>` with its own database, the module's
    `service_env` and `extra`, where a value of "@localstripe" stands for the session's localstripe URL."""

    @pytest.fixture(scope="module")
    async def running(
        postgres, kafka_bootstrap_servers, topic_prefix, localstripe_url, service_env, tmp_path_factory
    ) -> AsyncIterator[RunningService]:
        mine = {k: (localstripe_url if v == "@localstripe" else v) for k, v in extra.items()}
        settings = {**service_env, **mine}
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


@pytest.fixture(scope="module")
def services(
    cart_service, order_service, payment_service, inventory_service, fulfillment_service
) -> dict[str, RunningService]:
    """The services a module runs, by name: all five here; a module running fewer overrides this."""
    return {
        "cart": cart_service,
        "order": order_service,
        "payment": payment_service,
        "inventory": inventory_service,
        "fulfillment": fulfillment_service,
    }


@pytest.fixture(scope="module")
def admin_env(services, kafka_bootstrap_servers, topic_prefix) -> dict[str, str]:
    """The environment `checkout-admin` reads to reach the module's `services`."""
    return admin_environment(services, kafka_bootstrap_servers, topic_prefix)


@asynccontextmanager
async def admin_and_shopper(service: RunningService) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two clients of `service`, logged in as its admin and as a shopper; closed on leaving."""
    clients = [
        await authenticated_client(service.url, admin=True),
        await authenticated_client(service.url, admin=False),
    ]
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()


@pytest.fixture(scope="module")
async def cart_clients(cart_service) -> AsyncIterator[list[httpx.AsyncClient]]:
    """The cart's admin and a shopper."""
    async with admin_and_shopper(cart_service) as clients:
        yield clients


@pytest.fixture(scope="module")
async def cart_and_order_clients(
    cart_clients, order_service, fulfillment_service
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """The cart's admin and shopper, then the order service's, with fulfilment running as well."""
    async with admin_and_shopper(order_service) as order_clients:
        yield [*cart_clients, *order_clients]
