"""Several services as real processes sharing one Kafka (own databases, one topic prefix)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.e2e.operator import admin_environment
from tests.e2e.shop import api_clients
from tests.support.services import RunningService, authenticated_client, spawn_service


@pytest.fixture(scope="module")
def topic_prefix() -> str:
    return f"e2e{uuid4().hex[:8]}."


SpawnSpec = tuple[str, dict[str, str]]
"""A service fixture's service name and its own settings."""

_SPAWN_SPECS: dict[int, SpawnSpec] = {}
"""What each fixture made by `service_fixture` starts, by the fixture object's id."""


@dataclass
class Spawner:
    """Spawns the module's services on the session's servers, each on a database of its own, and
    keeps those spawned ahead of their fixtures."""

    postgres: Any
    kafka: str
    prefix: str
    localstripe_url: str
    service_env: dict[str, str]
    tmp_path_factory: pytest.TempPathFactory
    ahead: dict[str, RunningService] = field(default_factory=dict)

    async def spawn(self, name: str, extra: dict[str, str]) -> RunningService:
        """`services.<name>`, not yet ready, with the module's `service_env` and `extra`, where a value
        of "@localstripe" stands for the session's localstripe URL."""
        mine = {k: (self.localstripe_url if v == "@localstripe" else v) for k, v in extra.items()}
        database = f"{name}_{uuid4().hex[:8]}"
        await self.postgres.create_database(database)
        env = {
            "DATABASE_URL": self.postgres.dsn(database),
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            "TOPIC_PREFIX": self.prefix,
            **self.service_env,
            **mine,
        }
        return spawn_service(f"services.{name}", env, self.tmp_path_factory.mktemp(name))

    async def start(self, name: str, **extra: str) -> RunningService:
        """`spawn`, then wait until it is ready: a service of the module's own making."""
        service = await self.spawn(name, extra)
        await service.ready()
        return service


@pytest.fixture(scope="module", autouse=True)
async def spawner(
    request: pytest.FixtureRequest,
    postgres,
    kafka_bootstrap_servers,
    topic_prefix,
    localstripe_url,
    service_env,
    tmp_path_factory,
) -> AsyncIterator[Spawner]:
    """Spawns the services the module's first test needs together, before any is waited for: five
    processes importing at once on two cores are ready in about half the time of one after another.
    A fixture the module defines itself is honoured (spawned ahead only if `service_fixture` made it)."""
    spawner = Spawner(
        postgres, kafka_bootstrap_servers, topic_prefix, localstripe_url, service_env, tmp_path_factory
    )
    for fixture_name in request.fixturenames:
        fixture = getattr(request.module, fixture_name, None) or globals().get(fixture_name)
        spec = _SPAWN_SPECS.get(id(fixture))
        if spec is not None:
            spawner.ahead[fixture_name] = await spawner.spawn(*spec)
    try:
        yield spawner
    finally:
        for service in spawner.ahead.values():  # spawned for a fixture no test asked for after all
            service.stop()


def service_fixture(name: str, **extra: str) -> Any:
    """A module-scoped fixture running `services.<name>` (see `Spawner.spawn`), spawned beside the
    module's other services when its first test needs them all."""

    @pytest.fixture(scope="module")
    async def running(request: pytest.FixtureRequest, spawner: Spawner) -> AsyncIterator[RunningService]:
        service = spawner.ahead.pop(str(request.fixturename), None) or await spawner.spawn(name, extra)
        try:
            await service.ready()
            yield service
        finally:
            service.stop()

    _SPAWN_SPECS[id(running)] = (name, extra)
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
