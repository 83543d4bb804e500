"""A page of ids from a projection table, oldest first, with the total: what every list endpoint
needs before it loads each resource from its stream (so a list never shows stale documents)."""

from __future__ import annotations

from shared.eventstore.database import Executor


async def page_of_ids(
    db: Executor, table: str, key: str, limit: int, offset: int, where: str = "true"
) -> tuple[list[str], int]:
    """`table`, `key` and `where` are the caller's constants, never client input."""
    total = await db.fetchval(f"SELECT count(*) FROM {table} WHERE {where}")  # noqa: S608
    rows = await db.fetch(
        f"SELECT {key} FROM {table} WHERE {where} ORDER BY created_at, {key} LIMIT $1 OFFSET $2",  # noqa: S608
        limit,
        offset,
    )
    return [str(row[key]) for row in rows], int(total)
