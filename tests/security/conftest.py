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

from tests.security import canaries
from tests.support.services import RunningService, start_service

SERVICES = ("cart", "order", "payment", "inventory", "fulfillment")


@pytest.fixture(scope="package")
def topic_prefix() -> str:
    return f"sec{uuid4().hex[:8]}."


def database_url_with_password(dsn: str) -> str:
    """The test server trusts every local connection, so the password is carried, never needed."""
    return dsn.replace("postgresql://postgres@", f"postgresql://postgres:{canaries.DATABASE_PASSWORD}@", 1)


async def _start(
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
        "PAYMENT_ORDER_WAIT_SECONDS": "1",  # random order ids: wait less for a checkout that never comes
        **canaries.environment(),
    }
    return await start_service(f"services.{name}", env, work)


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
        for name in SERVICES:
            running[name] = await _start(
                name, postgres, kafka_bootstrap_servers, topic_prefix, localstripe_url, work
            )
        yield running
    finally:
        for service in running.values():
            service.stop()


async def token_over_http(url: str, *, admin: bool) -> str:
    """A token from the service's own endpoint, the way a client gets one."""
    form = {"grant_type": "implicit", "client_id": canaries.CLIENT_ID}
    if admin:
        form = {**form, "grant_type": "client_credentials", "client_secret": canaries.CLIENT_SECRET}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.post("/oauth/access_token", data=form)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


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
