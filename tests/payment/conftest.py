"""A real payment service process (Kafka, Postgres, localstripe) shared by this package's tests,
with the cart and inventory services played by the test through Kafka."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.payment.bus import Bus
from tests.payment.service import (
    WEBHOOK_PATH,
    StartsOwnPaymentService,
    payment_environment,
    start_payment_service,
)
from tests.payment.stripe_api import LocalStripe
from tests.payment.stripe_front import StripeFront
from tests.support.clients import client_of
from tests.support.services import RunningService


@pytest.fixture(scope="package")
def topic_prefix() -> str:
    return f"pay{uuid4().hex[:8]}."


@pytest.fixture(scope="package")
async def localstripe(localstripe_url: str) -> LocalStripe:
    return LocalStripe(localstripe_url)


@pytest.fixture(scope="package")
async def stripe_front(localstripe_url: str) -> AsyncIterator[StripeFront]:
    """localstripe with Stripe's search added, seen from the test (`tests.payment.stripe_front`)."""
    front = StripeFront(localstripe_url)
    await front.start()
    yield front
    await front.stop()


@pytest.fixture(scope="package")
async def payment_service(
    postgres: Any,
    kafka_bootstrap_servers: str,
    topic_prefix: str,
    localstripe_url: str,
    localstripe: LocalStripe,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RunningService]:
    env = await payment_environment(postgres, kafka_bootstrap_servers, topic_prefix, localstripe_url)
    service = await start_payment_service(env, tmp_path_factory.mktemp("payment"))
    await localstripe.register_webhook(f"payment-{topic_prefix}", service.url + WEBHOOK_PATH)
    yield service
    await localstripe.unregister_webhook(f"payment-{topic_prefix}")
    service.stop()


@pytest.fixture(scope="package")
def own_payment_service(
    postgres: Any, kafka_bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory
) -> StartsOwnPaymentService:
    """For a module that needs a payment service of its own (`StartsOwnPaymentService`)."""

    async def start(name: str, stripe_url: str, **env: str) -> RunningService:
        prefix = f"{name}{uuid4().hex[:8]}."
        environment = await payment_environment(postgres, kafka_bootstrap_servers, prefix, stripe_url)
        return await start_payment_service({**environment, **env}, tmp_path_factory.mktemp(name))

    return start


@pytest.fixture(scope="package")
async def bus(
    payment_service: RunningService, kafka_bootstrap_servers: str, topic_prefix: str
) -> AsyncIterator[Bus]:
    async with Bus(kafka_bootstrap_servers, topic_prefix) as bus:
        yield bus


@pytest.fixture(scope="package")
async def admin(payment_service: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(payment_service.url, admin=True) as client:
        yield client


@pytest.fixture(scope="package")
async def shopper(payment_service: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(payment_service.url, admin=False) as client:
        yield client
