"""Public development secrets are refused outside development (issue 22, point 4).

The JWT, client, order-id and webhook secrets the code and docker-compose.yml fell back to are in
this repository: a service that accepted them took an admin token anyone could sign. It only warned;
now it refuses to start, with a message that names each variable, unless ALLOW_DEV_SECRETS=1 says
this is a development machine (the devstack and the test suite set it). Compose requires every
secret instead of falling back.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from devstack.apps import AppSettings, service_env
from devstack.ports import free_port
from services.cart.settings import DEV_ORDER_ID_SECRET
from shared.auth.tokens import issue_token
from shared.settings import (
    COMPOSE_WEBHOOK_SECRET,
    DEV_CLIENT_ID,
    DEV_CLIENT_SECRET,
    DEV_JWT_SECRET,
    DEV_SECRETS_FLAG,
    ServiceSettings,
)
from tests.support.services import REPO

SECRETS = ("JWT_SECRET", "CLIENT_SECRET", "ORDER_ID_SECRET", "STRIPE_WEBHOOK_SECRET")
PUBLISHED = (DEV_JWT_SECRET, DEV_CLIENT_SECRET, DEV_ORDER_ID_SECRET, COMPOSE_WEBHOOK_SECRET)
REFUSED_EXIT_STATUS = 2
START_TIMEOUT = 90.0


async def _start(module: str, env: dict[str, str], log: Path) -> tuple[asyncio.subprocess.Process, str]:
    """`python -m <module>` with exactly the secrets in `env` (none inherited from the test run)."""
    inherited = {k: v for k, v in os.environ.items() if k not in (*SECRETS, DEV_SECRETS_FLAG)}
    port = free_port()
    full = {**inherited, "PYTHONPATH": str(REPO), "HTTP_PORT": str(port), "LOG_FORMAT": "text", **env}
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, env=full, cwd=REPO, stdout=output, stderr=output
        )
    return process, f"http://127.0.0.1:{port}"


async def _exited_or_served(process: asyncio.subprocess.Process, url: str) -> bool:
    """True once the process has exited, False once it serves `/health`; whichever comes first."""
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(base_url=url, timeout=2) as http:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                return True
            try:
                if (await http.get("/health")).status_code == 200:
                    return False
            except httpx.TransportError:
                pass
            try:
                await asyncio.wait_for(process.wait(), timeout=0.2)
            except TimeoutError:
                pass
    raise AssertionError(f"neither refused nor served within {START_TIMEOUT} s")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=20)
        except TimeoutError:
            process.kill()
            await process.wait()


async def _backing(postgres, kafka_bootstrap_servers: str, service: str) -> dict[str, str]:
    """A real database and broker, so that a service that does not refuse really starts and serves."""
    database = f"sec_secrets_{service}_{uuid4().hex[:8]}"
    await postgres.create_database(database)
    return {
        "DATABASE_URL": postgres.dsn(database),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "TOPIC_PREFIX": f"secrets{uuid4().hex[:8]}.",
    }


async def _forged_admin_token_accepted(url: str) -> int:
    """What a service that started anyway answers an admin token signed with the published secret."""
    forged = issue_token("client_credentials", "anyone", ServiceSettings())["access_token"]
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        return (await http.get("/v2/customers", headers={"Authorization": f"Bearer {forged}"})).status_code


async def test_the_cart_service_refuses_the_default_secrets_unless_told_it_is_development(
    postgres, kafka_bootstrap_servers, tmp_path
):
    env = await _backing(postgres, kafka_bootstrap_servers, "cart")  # and no secret at all
    log = tmp_path / "cart.log"
    process, url = await _start("services.cart", env, log)
    try:
        if not await _exited_or_served(process, url):
            status = await _forged_admin_token_accepted(url)
            pytest.fail(f"the cart service started with public secrets; a forged admin token got {status}")
    finally:
        await _stop(process)
    output = log.read_text()
    assert process.returncode == REFUSED_EXIT_STATUS, output[-3000:]
    for variable in ("JWT_SECRET", "CLIENT_SECRET", "ORDER_ID_SECRET", DEV_SECRETS_FLAG):
        assert variable in output, (variable, output[-3000:])
    assert "Refusing to start" in output and "Traceback" not in output, output[-3000:]
    assert not any(secret in output for secret in PUBLISHED), "the message must name, not print, them"

    # the same environment on a development machine starts, warning about each public secret
    log = tmp_path / "cart-development.log"
    process, url = await _start("services.cart", {**env, DEV_SECRETS_FLAG: "1"}, log)
    try:
        exited = await _exited_or_served(process, url)
    finally:
        await _stop(process)
    output = log.read_text()
    assert not exited, output[-3000:]
    assert "JWT_SECRET is a public development value" in output, output[-3000:]


async def test_the_payment_service_refuses_a_published_webhook_secret_and_a_short_jwt_secret(
    postgres, kafka_bootstrap_servers, tmp_path
):
    env = {
        **await _backing(postgres, kafka_bootstrap_servers, "payment"),
        "JWT_SECRET": "only-24-bytes-of-secret!",
        "CLIENT_SECRET": f"client-{uuid4().hex}",
        "STRIPE_WEBHOOK_SECRET": COMPOSE_WEBHOOK_SECRET,  # what docker-compose.yml fell back to
    }
    log = tmp_path / "payment.log"
    process, url = await _start("services.payment", env, log)
    try:
        served = not await _exited_or_served(process, url)
    finally:
        await _stop(process)
    output = log.read_text()
    assert not served and process.returncode == REFUSED_EXIT_STATUS, output[-3000:]
    assert "STRIPE_WEBHOOK_SECRET is a public development value" in output, output[-3000:]
    assert "JWT_SECRET is shorter than 32 bytes" in output, output[-3000:]
    assert "CLIENT_SECRET" not in output, "a secret of its own is not refused"


def test_compose_requires_every_secret_instead_of_falling_back_to_a_public_one():
    text = (REPO / "docker-compose.yml").read_text()
    for name in (*SECRETS, "POSTGRES_PASSWORD"):
        uses = re.findall(rf"\$\{{{name}(\W[^}}]*)?\}}", text)
        assert uses, f"{name} is not passed to the containers"
        assert all(use.startswith(":?") for use in uses), f"{name} has a default: {uses}"
    assert not [secret for secret in PUBLISHED if secret in text]
    assert "POSTGRES_PASSWORD: postgres" not in text and "postgres:postgres@" not in text


def test_the_devstack_runs_its_services_as_development_with_secrets_of_its_own():
    endpoints = {
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
        "STRIPE_API_BASE": "http://127.0.0.1:8420",
        "STRIPE_API_KEY": "sk_test_12345",
    }
    one, other = (service_env("cart", free_port(), endpoints, AppSettings()) for _ in range(2))
    assert one[DEV_SECRETS_FLAG] == "1"
    for name in ("JWT_SECRET", "ORDER_ID_SECRET"):
        assert one[name] != other[name] and one[name] not in PUBLISHED
    assert one["CLIENT_ID"] == DEV_CLIENT_ID  # the admin client make run prints stays the known one
