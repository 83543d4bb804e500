"""Fixtures for the kernel's tests: a fresh database per test and a private topic prefix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest

from shared.eventstore.unit_of_work import Database
from tests.support.databases import fresh_database


@pytest.fixture
async def database(postgres) -> AsyncIterator[Database]:
    async with fresh_database(postgres, "kernel-test", max_size=12) as db:
        yield db


@pytest.fixture
def topic_prefix() -> str:
    return f"t{uuid4().hex[:8]}."
