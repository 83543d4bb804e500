"""Fixtures for the order service's integration tests: its own fresh database per test, the
`order` consumer bound to it, and the orders projection."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.order.adapters.consumers import build_order_consumer
from services.order.projections.orders import OrdersProjection
from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer import EventConsumer
from shared.projections.runner import ProjectionRunner
from tests.support.databases import RecordedDeadLetters, fresh_database


@pytest.fixture
async def database(postgres) -> AsyncIterator[Database]:
    async with fresh_database(postgres, "order", max_size=6) as db:
        yield db


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
