"""The contract suite on PostgreSQL (the store every service runs on)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.eventstore.port import EventDatabase
from shared.eventstore.unit_of_work import Database
from tests.contract.unit_of_work_contract import UnitOfWorkContract
from tests.support.databases import fresh_database


def implements_the_port(database: Database) -> EventDatabase:
    """Checked by mypy: the database implements `EventDatabase`."""
    return database


class PostgresBackend:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def log(self) -> list[tuple[str, int, str]]:
        rows = await self.database.pool.fetch(
            "SELECT stream_id, version, event_type FROM events ORDER BY transaction_id, position"
        )
        return [(r["stream_id"], r["version"], r["event_type"]) for r in rows]

    async def outbox(self) -> list[tuple[str, str]]:
        rows = await self.database.pool.fetch("SELECT topic, key FROM outbox ORDER BY id")
        return [(r["topic"], r["key"]) for r in rows]


class TestPostgresUnitOfWork(UnitOfWorkContract):
    @pytest.fixture
    async def backend(self, postgres: Any) -> AsyncIterator[PostgresBackend]:
        async with fresh_database(postgres, "contract", max_size=4) as database:
            yield PostgresBackend(database)
