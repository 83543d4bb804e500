"""The fast tier's look at an in-memory database: what its units published."""

from __future__ import annotations

from typing import Any

import orjson

from shared.eventstore.in_memory import InMemoryDatabase


def published(database: InMemoryDatabase) -> list[tuple[str, str]]:
    """(topic, key) of every integration event in the outbox, in order."""
    return [(row.topic, row.key) for row in database.store.outbox]


def published_data(database: InMemoryDatabase, topic: str) -> list[dict[str, Any]]:
    """The `data` of every message published on `topic`, in order."""
    return [orjson.loads(row.payload)["data"] for row in database.store.outbox if row.topic == topic]


def appended(database: InMemoryDatabase) -> list[str]:
    """The type of every event appended, in log order."""
    return [record.event_type for record in database.store.log]
