"""A page of ids from a projection table, oldest first, with the total: what every list endpoint
needs before it loads each resource from its stream (so a list never shows stale documents)."""

from __future__ import annotations

from shared.eventstore.database import Executor


async def page_of_ids(
    db: Executor, table: str, key: str, limit: int, offset: int, where: str = "true"
) -> tuple[list[str], int]:
    """`table`, `key` and `where` are the caller's constants, never client input.

    One statement, so the page and its total come from one snapshot: two statements outside a
    transaction can count the table before a projection commits and read the page after it."""
    row = await db.fetchrow(
        f"SELECT (SELECT count(*) FROM {table} WHERE {where}) AS total,"  # noqa: S608
        f" ARRAY(SELECT {key}::text FROM {table} WHERE {where}"
        f" ORDER BY created_at, {key} LIMIT $1 OFFSET $2) AS ids",
        limit,
        offset,
    )
    assert row is not None  # a SELECT without FROM always answers one row
    return list(row["ids"]), int(row["total"])
