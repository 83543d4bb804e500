"""Fixtures for the inventory service's integration tests: a fresh database per test, and the
`inventory` consumer bound to it for either policy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from services.inventory.adapters.consumers import build_inventory_consumer
from services.inventory.domain.policy import AllocationPolicy
from shared.contracts.envelope import Envelope
from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer import EventConsumer
from tests.inventory.builders import TTL
from tests.support.databases import RecordedDeadLetters, fresh_database


@pytest.fixture
async def database(postgres) -> AsyncIterator[Database]:
    async with fresh_database(postgres, "inventory", max_size=20) as db:
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
