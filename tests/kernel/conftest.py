"""Fixtures for the kernel's tests: a fresh database per test and a private topic prefix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest

from shared.eventstore.unit_of_work import Database


@pytest.fixture
async def database(postgres) -> AsyncIterator[Database]:
    name = f"kernel_{uuid4().hex[:10]}"
    await postgres.create_database(name)
    db = Database(postgres.dsn(name), producer="kernel-test", topic_prefix="")
    await db.open(max_size=12)
    yield db
    await db.close()


@pytest.fixture
def topic_prefix() -> str:
    return f"t{uuid4().hex[:8]}."
