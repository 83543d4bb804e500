"""What the integration tests look at in the order service's database."""

from __future__ import annotations

from typing import Any

import orjson

from services.order.application.reading import read_order
from services.order.domain.view import OrderView
from shared.eventstore.unit_of_work import Database


async def view(database: Database, order_id: str) -> OrderView:
    return await read_order(database, order_id)


async def statuses(database: Database, order_id: str) -> tuple[str, str, str]:
    state = (await view(database, order_id)).state
    return state.status, state.payment, state.shipping


async def published(database: Database) -> list[tuple[str, str]]:
    """(topic, key) of every integration event in the outbox, in order."""
    rows = await database.pool.fetch("SELECT topic, key FROM outbox ORDER BY id")
    return [(r["topic"], r["key"]) for r in rows]


async def published_data(database: Database, topic: str) -> list[dict[str, Any]]:
    rows = await database.pool.fetch("SELECT payload FROM outbox WHERE topic = $1 ORDER BY id", topic)
    return [orjson.loads(r["payload"])["data"] for r in rows]


async def stream_version(database: Database, order_id: str) -> int:
    return await database.store.stream_version(database.pool, f"order-{order_id}")


async def parked(database: Database) -> int:
    return int(await database.pool.fetchval("SELECT count(*) FROM parked_messages"))
