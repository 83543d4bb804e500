"""Fixtures for the inventory service's integration tests: a fresh database per test, and the
`inventory` consumer bound to it for either policy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import uuid4

import pytest

from services.inventory.adapters.consumers import build_inventory_consumer
from services.inventory.domain.policy import AllocationPolicy
from shared.contracts.envelope import Envelope
from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer import EventConsumer
from shared.messaging.dead_letters import FailedMessage
from tests.inventory.builders import TTL


class RecordedDeadLetters:
    """Stands in for the dead-letter topic where a test needs no Kafka; keeps what it was given."""

    def __init__(self) -> None:
        self.messages: list[tuple[FailedMessage, str]] = []

    async def publish(self, message: FailedMessage, reason: str, error: BaseException | None = None) -> None:
        self.messages.append((message, reason))


@pytest.fixture
async def database(postgres) -> AsyncIterator[Database]:
    name = f"inventory_{uuid4().hex[:10]}"
    await postgres.create_database(name)
    db = Database(postgres.dsn(name), producer="inventory")
    await db.open(max_size=20)
    yield db
    await db.close()


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
