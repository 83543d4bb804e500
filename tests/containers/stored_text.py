"""What a platform's PostgreSQL holds, read as text: where personal data would show if it were not sealed."""

from __future__ import annotations

import asyncpg

HOLDS = "strpos(r::text, $1) > 0 OR strpos(r::text, $2) > 0"
"""A row `r` holds $1 as text, or as bytes: a `bytea` column's text form is `\\x` and hex ($2)."""


async def rows_holding(dsn: str, text: str) -> dict[str, int]:
    """Per table of the database (every schema but PostgreSQL's own), how many rows hold `text`, as text
    (events, snapshots, read models...) or as bytes (`bytea`: the outbox's and its history's payloads,
    kept answers), whose text form is hex; tables without such a row are left out."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
            " AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        found = {}
        for table in tables:
            name = f'"{table["table_schema"]}"."{table["table_name"]}"'
            query = f"SELECT count(*) FROM {name} AS r WHERE {HOLDS}"  # noqa: S608 -- catalogue names
            count = int(await conn.fetchval(query, text, text.encode().hex()))
            if count:
                found[name] = count
        return found
    finally:
        await conn.close()
