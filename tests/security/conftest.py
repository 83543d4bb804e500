"""The five services as real processes for the security suite, sharing one Kafka topic prefix.

Package-scoped, so every security test talks to the same processes (fewer starts on a small
machine), and every one of them runs with the distinctive secrets of `canaries`: the leak test
then reads the logs these processes wrote during the whole suite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from checkout_platform.storefront.client import Storefront
from checkout_platform.storefront.httpx_transports import HttpxTransport
from tests.security import canaries
from tests.support.services import RunningService, spawn_service

SERVICES = ("cart", "order", "payment", "inventory", "fulfillment")


@pytest.fixture(scope="package")
def topic_prefix() -> str:
    return f"sec{uuid4().hex[:8]}."


def database_url_with_password(dsn: str) -> str:
    """The test server trusts every local connection, so the password is carried, never needed."""
    return dsn.replace("postgresql://postgres@", f"postgresql://postgres:{canaries.DATABASE_PASSWORD}@", 1)


async def _spawn(
    name: str, postgres: Any, kafka: str, prefix: str, stripe: str, work: Path
) -> RunningService:
    database = f"sec_{name}_{uuid4().hex[:8]}"
    await postgres.create_database(database)
    env = {
        "DATABASE_URL": database_url_with_password(postgres.dsn(database)),
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "TOPIC_PREFIX": prefix,
        "STRIPE_API_BASE": stripe,
        "LOG_LEVEL": "DEBUG",  # the most a service ever logs: what the leak test scans
        # random order ids: wait less for a checkout that never comes (every test awaits its own
        # orders through consumed_everywhere, never through these waits)
        "PAYMENT_ORDER_WAIT_SECONDS": "1",
        "ORDER_CHECKOUT_WAIT_SECONDS": "1",
        **canaries.environment(),
    }
    return spawn_service(f"services.{name}", env, work)


@pytest.fixture(scope="package")
async def services(
    postgres: Any,
    kafka_bootstrap_servers: str,
    topic_prefix: str,
    localstripe_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[dict[str, RunningService]]:
    """name -> running service; every one stopped at the end of the package."""
    work = tmp_path_factory.mktemp("security")
    running: dict[str, RunningService] = {}
    try:
        for name in SERVICES:  # spawned side by side, then each awaited: they start up together
            running[name] = await _spawn(
                name, postgres, kafka_bootstrap_servers, topic_prefix, localstripe_url, work
            )
        for service in running.values():
            await service.ready()
        yield running
    finally:
        for service in running.values():
            service.stop()


async def token_over_http(url: str, *, admin: bool) -> str:
    """A token from the service's own endpoint, the way a client gets one."""
    secret = canaries.CLIENT_SECRET if admin else None
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        return await Storefront(HttpxTransport(client)).token(canaries.CLIENT_ID, secret)


@pytest.fixture(scope="package")
async def admin_token(services: dict[str, RunningService]) -> str:
    return await token_over_http(services["cart"].url, admin=True)


@pytest.fixture(scope="package")
async def shopper_token(services: dict[str, RunningService]) -> str:
    return await token_over_http(services["cart"].url, admin=False)


def client(service: RunningService, token: str | None = None, **headers: str) -> httpx.AsyncClient:
    if token is not None:
        headers = {"Authorization": f"Bearer {token}", **headers}
    return httpx.AsyncClient(base_url=service.url, headers=headers, timeout=30)
