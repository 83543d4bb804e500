"""Several services as real processes sharing one Kafka (own databases, one topic prefix)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest

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


@pytest.fixture(scope="module")
async def cart_service(
    postgres, kafka_bootstrap_servers, topic_prefix, tmp_path_factory
) -> AsyncIterator[RunningService]:
    service = await _service(
        "services.cart", postgres, kafka_bootstrap_servers, topic_prefix, tmp_path_factory.mktemp("cart")
    )
    yield service
    service.stop()


@pytest.fixture(scope="module")
async def order_service(
    postgres, kafka_bootstrap_servers, topic_prefix, tmp_path_factory
) -> AsyncIterator[RunningService]:
    service = await _service(
        "services.order", postgres, kafka_bootstrap_servers, topic_prefix, tmp_path_factory.mktemp("order")
    )
    yield service
    service.stop()


@pytest.fixture(scope="module")
async def fulfillment_service(
    postgres, kafka_bootstrap_servers, topic_prefix, tmp_path_factory
) -> AsyncIterator[RunningService]:
    service = await _service(
        "services.fulfillment",
        postgres,
        kafka_bootstrap_servers,
        topic_prefix,
        tmp_path_factory.mktemp("fulfil"),
    )
    yield service
    service.stop()


@pytest.fixture(scope="module")
async def inventory_service(
    postgres, kafka_bootstrap_servers, topic_prefix, tmp_path_factory
) -> AsyncIterator[RunningService]:
    service = await _service(
        "services.inventory",
        postgres,
        kafka_bootstrap_servers,
        topic_prefix,
        tmp_path_factory.mktemp("inventory"),
    )
    yield service
    service.stop()


@pytest.fixture(scope="module")
async def payment_service(
    postgres, kafka_bootstrap_servers, topic_prefix, localstripe_url, tmp_path_factory
) -> AsyncIterator[RunningService]:
    service = await _service(
        "services.payment",
        postgres,
        kafka_bootstrap_servers,
        topic_prefix,
        tmp_path_factory.mktemp("payment"),
        STRIPE_API_KEY="sk_test_12345",
        STRIPE_API_BASE=localstripe_url,
        STRIPE_WEBHOOK_SECRET="whsec_e2e",
    )
    yield service
    service.stop()
