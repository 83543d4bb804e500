"""Fixtures for the order service's integration tests: its own fresh database per test, the
`order` consumer bound to it, and the orders projection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest

from services.order.adapters.consumers import build_order_consumer
from services.order.projections.orders import OrdersProjection
from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer import EventConsumer
from shared.messaging.dead_letters import FailedMessage
from shared.projections.runner import ProjectionRunner


class RecordedDeadLetters:
    """Stands in for the dead-letter topic where a test needs no Kafka; keeps what it was given."""

    def __init__(self) -> None:
        self.messages: list[tuple[FailedMessage, str]] = []

    async def publish(self, message: FailedMessage, reason: str, error: BaseException | None = None) -> None:
        self.messages.append((message, reason))


@pytest.fixture
async def database(postgres) -> AsyncIterator[Database]:
    name = f"order_{uuid4().hex[:10]}"
    await postgres.create_database(name)
    db = Database(postgres.dsn(name), producer="order", topic_prefix="")
    await db.open(max_size=6)
    yield db
    await db.close()


@pytest.fixture
def dead_letters() -> RecordedDeadLetters:
    return RecordedDeadLetters()


@pytest.fixture
def consumer(database: Database, dead_letters: RecordedDeadLetters) -> EventConsumer:
    consumer = build_order_consumer()
    consumer.bind(database, dead_letters)  # type: ignore[arg-type]
    return consumer


@pytest.fixture
async def projection(database: Database) -> ProjectionRunner:
    runner = ProjectionRunner(database.dsn, database.pool, OrdersProjection())
    await runner.setup()
    return runner
