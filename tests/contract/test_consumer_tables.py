"""The consumer tables' contract suite on PostgreSQL and in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.eventstore.in_memory import InMemoryDatabase
from shared.messaging.consumer_tables import ConsumerDatabase, ConsumerTables
from shared.messaging.in_memory_consumer_tables import InMemoryConsumerTables
from shared.messaging.postgres_consumer_tables import PostgresConsumerTables
from tests.contract.consumer_tables_contract import ConsumerTablesContract, Tables
from tests.support.databases import fresh_database


def both_implement_the_port(
    postgres: PostgresConsumerTables, memory: InMemoryConsumerTables, database: InMemoryDatabase
) -> tuple[list[ConsumerTables], ConsumerDatabase]:
    """Checked by mypy: both keep a consumer's tables as `ConsumerTables` says, and the in-memory
    database gives consumers the units they need."""
    return [postgres, memory], database


class TestInMemoryConsumerTables(ConsumerTablesContract):
    @pytest.fixture
    def t(self) -> Tables:
        database = InMemoryDatabase(producer="contract")
        return Tables(InMemoryConsumerTables(database), database)


class TestPostgresConsumerTables(ConsumerTablesContract):
    @pytest.fixture
    async def t(self, postgres: Any) -> AsyncIterator[Tables]:
        async with fresh_database(postgres, "consumer_tables", max_size=4) as database:
            yield Tables(PostgresConsumerTables(database), database)
