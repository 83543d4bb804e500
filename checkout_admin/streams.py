"""`streams show ORDER_ID`: every event of one order across every service, in time order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from checkout_admin.config import StackConfig
from checkout_admin.connections import open_connection
from checkout_admin.registry import SERVICES

# Streams about the order: named after it, or carrying it in their events; and for the cart, the
# cart's own history up to its checkout into this order.
_QUERY = """
WITH related AS (
    SELECT DISTINCT stream_id FROM events
    WHERE stream_id LIKE '%' || $1 OR data->>'order_id' = $1
)
SELECT stream_id, version, event_type, data, occurred_at
FROM events WHERE stream_id IN (SELECT stream_id FROM related)
ORDER BY occurred_at, stream_id, version
"""


@dataclass(frozen=True)
class StreamEvent:
    occurred_at: datetime
    service: str
    stream_id: str
    version: int
    event_type: str
    data: dict[str, Any]


async def order_history(config: StackConfig, order_id: str) -> list[StreamEvent]:
    found: list[StreamEvent] = []
    for name in SERVICES:
        conn = await open_connection(config, name)  # a store that does not answer is no "0 events"
        try:
            rows = await conn.fetch(_QUERY, order_id)
        except asyncpg.UndefinedTableError:
            rows = []  # the service has not run against this database yet: nothing of it to show
        finally:
            await conn.close()
        cart_stream = next((r["stream_id"] for r in rows if r["event_type"] == "CartCheckedOut"), None)
        for row in rows:
            if row["stream_id"] == cart_stream and _after_checkout(rows, row, order_id):
                continue
            found.append(
                StreamEvent(
                    row["occurred_at"], name, row["stream_id"], row["version"], row["event_type"], row["data"]
                )
            )
    return sorted(found, key=lambda e: (e.occurred_at, e.service, e.version))


def _after_checkout(rows: list[asyncpg.Record], row: asyncpg.Record, order_id: str) -> bool:
    """A cart's events after it became this order belong to its next order, not this one."""
    checkout = next(
        (r for r in rows if r["event_type"] == "CartCheckedOut" and r["data"].get("order_id") == order_id),
        None,
    )
    return checkout is not None and row["version"] > checkout["version"]


def summary(event: StreamEvent) -> str:
    keys = ("quantity", "amount", "status", "reason", "code", "sku", "transaction_id", "lines")
    parts = [f"{k}={event.data[k]}" for k in keys if k in event.data]
    return " ".join(parts)[:100]
