"""Fixtures for the kernel's tests: a fresh database per test and a private topic prefix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer

from shared.eventstore.unit_of_work import Database
from shared.messaging.kafka import reliable_producer
from tests.support.databases import fresh_database


@pytest.fixture
async def database(postgres) -> AsyncIterator[Database]:
    async with fresh_database(postgres, "kernel-test", max_size=12) as db:
        yield db


@pytest.fixture
def topic_prefix() -> str:
    return f"t{uuid4().hex[:8]}."


@pytest.fixture
async def ledger_dsn(postgres) -> str:
    """The database of the ledger test service (tests/kernel/apps/ledger_service.py)."""
    name = f"ledger_{uuid4().hex[:10]}"
    await postgres.create_database(name)
    return str(postgres.dsn(name))


@pytest.fixture
def ledger_env(
    ledger_dsn: str, kafka_bootstrap_servers: str, topic_prefix: str, tmp_path: Path
) -> dict[str, str]:
    """The environment a ledger process runs with (instances of one group share it)."""
    return {
        "DATABASE_URL": ledger_dsn,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "TOPIC_PREFIX": topic_prefix,
        "CRASH_MARKER": str(tmp_path / "crashed"),
    }


@pytest.fixture
async def producer(kafka_bootstrap_servers: str) -> AsyncIterator[AIOKafkaProducer]:
    """An idempotent producer, as a service's relay publishes ("service A" of the kernel tests)."""
    producer = reliable_producer(kafka_bootstrap_servers, client_id="kernel-test-a")
    await producer.start()
    yield producer
    await producer.stop()
