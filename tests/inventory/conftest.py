"""Fixtures for the inventory service's integration tests: a fresh database per test, and the
`inventory` consumer bound to it for either policy; and a started inventory service per module
(`on_payment`: its admin and shopper clients), for the tests through HTTP and Kafka."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from services.inventory.adapters.consumers import build_inventory_consumer
from services.inventory.adapters.postgres.read_models import provide_postgres_read_models
from services.inventory.domain.policy import AllocationPolicy
from shared.contracts.envelope import Envelope
from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer import EventConsumer
from tests.inventory.builders import TTL
from tests.support.databases import RecordedDeadLetters, fresh_database
from tests.support.own_database import start_on_own_database
from tests.support.services import RunningService, authenticated_client


@pytest.fixture
async def database(postgres) -> AsyncIterator[Database]:
    async with fresh_database(postgres, "inventory", max_size=20) as db:
        provide_postgres_read_models(db)  # as build_runtime does
        yield db


@pytest.fixture
def dead_letters() -> RecordedDeadLetters:
    return RecordedDeadLetters()


@pytest.fixture
def consumer_for(
    database: Database, dead_letters: RecordedDeadLetters
) -> Callable[[AllocationPolicy], EventConsumer]:
    def build(policy: AllocationPolicy) -> EventConsumer:
        consumer = build_inventory_consumer(policy, TTL)
        consumer.bind(database, dead_letters)  # type: ignore[arg-type]
        return consumer

    return build


async def outbox(database: Database, event_type: str) -> list[dict[str, Any]]:
    """The data of every `event_type` message the service queued for Kafka, oldest first."""
    rows = await database.pool.fetch("SELECT payload FROM outbox WHERE topic = $1 ORDER BY id", event_type)
    return [Envelope.from_json(bytes(row["payload"])).data for row in rows]


async def inventory(
    postgres: Any, kafka: str, prefix: str, work: Path, policy: str, reservation_ttl: float = 1
) -> RunningService:
    """A started inventory service on a database of its own, with `policy`."""
    return await start_on_own_database(
        "services.inventory",
        postgres,
        kafka,
        prefix,
        work,
        INVENTORY_POLICY=policy,
        INVENTORY_RESERVATION_TTL_SECONDS=str(reservation_ttl),
        INVENTORY_SWEEP_SECONDS="0.5",
    )


@pytest.fixture(scope="module")
def prefix() -> str:
    return f"inv{uuid4().hex[:8]}."


@pytest.fixture(scope="module")
async def on_payment(postgres, kafka_bootstrap_servers, prefix, tmp_path_factory):
    service = await inventory(
        postgres, kafka_bootstrap_servers, prefix, tmp_path_factory.mktemp("inv"), "allocate_on_payment"
    )
    admin = await authenticated_client(service.url, admin=True)
    shopper = await authenticated_client(service.url, admin=False)
    yield admin, shopper
    await admin.aclose()
    await shopper.aclose()
    service.stop()
