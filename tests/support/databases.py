"""A fresh database per test, opened as a service opens its own, a one-off query of a service's
database, and a stand-in dead-letter topic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

import asyncpg

from shared.eventstore.unit_of_work import Database
from shared.messaging.dead_letters import FailedMessage


@asynccontextmanager
async def fresh_database(postgres: Any, producer: str, *, max_size: int) -> AsyncIterator[Database]:
    """A new database named after `producer` on the session's PostgreSQL, with the kernel's tables."""
    name = f"{producer.replace('-', '_')}_{uuid4().hex[:10]}"
    await postgres.create_database(name)
    db = Database(postgres.dsn(name), producer=producer, topic_prefix="")
    await db.open(max_size=max_size)
    try:
        yield db
    finally:
        await db.close()


@asynccontextmanager
async def another_process(database: Database) -> AsyncIterator[Database]:
    """Another process's view of the same database: its own pool and stream cache."""
    other = Database(database.dsn, producer=database.producer, stream_cache=64)
    await other.open(max_size=2)
    try:
        yield other
    finally:
        await other.close()


async def rows_of(dsn: str, query: str, *args: Any) -> list[asyncpg.Record]:
    """What `query` reads from the database at `dsn`, over a connection of its own: a test looking
    into a running service's event store, as an operator would, without sharing its pool."""
    connection = await asyncpg.connect(dsn)
    try:
        rows: list[asyncpg.Record] = await connection.fetch(query, *args)
        return rows
    finally:
        await connection.close()


class RecordedDeadLetters:
    """Stands in for the dead-letter topic where a test needs no Kafka; keeps what it was given."""

    def __init__(self) -> None:
        self.messages: list[tuple[FailedMessage, str]] = []

    async def publish(self, message: FailedMessage, reason: str, error: BaseException | None = None) -> None:
        self.messages.append((message, reason))
