"""The contract suite on the in-memory database (the fast tier's store)."""

from __future__ import annotations

import pytest

from shared.eventstore.in_memory import InMemoryDatabase
from shared.eventstore.port import EventDatabase
from tests.contract.unit_of_work_contract import UnitOfWorkContract


def implements_the_port(database: InMemoryDatabase) -> EventDatabase:
    """Checked by mypy: the database implements `EventDatabase`."""
    return database


class InMemoryBackend:
    def __init__(self) -> None:
        self.database = InMemoryDatabase(producer="contract")

    async def log(self) -> list[tuple[str, int, str]]:
        return [(r.stream_id, r.version, r.event_type) for r in self.database.store.log]

    async def outbox(self) -> list[tuple[str, str]]:
        return [(row.topic, row.key) for row in self.database.store.outbox]


class TestInMemoryUnitOfWork(UnitOfWorkContract):
    @pytest.fixture
    def backend(self) -> InMemoryBackend:
        return InMemoryBackend()
