"""Counting what one request costs the payment database, from PostgreSQL's own `pg_stat_statements`.

The server preloads the module (devstack/postgres.py); its view is created in the `postgres`
database, which no service uses, so the counter's own queries are never counted. Only top-level
statements of the one payment database are: other services' and other tests' databases run their
own background statements on the same server. In the payment database itself, the two statements
that run on a timer rather than because of a request or a message are left out too: the outbox
relay's read of its table (every half second, deleting in the same statement what Kafka has
acknowledged since the last) and the consumer's sweep of parked messages (every five seconds; its
per-key look, which follows a message, is counted); so is the test's own look at the outbox while
it waits for the service to settle.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import unquote, urlsplit

import asyncpg
import pytest

from devstack.databases import database_url

MONITOR_DATABASE = "postgres"
TIMED = (
    "%FROM outbox WHERE id <> ALL%",  # shared/outbox/relay.py, OutboxRelay.publish_batch (and its deletes)
    "%FROM parked_messages WHERE consumer = $1 ORDER BY id%",  # shared/messaging/consumer.py, sweep_parked
    "SELECT count(*) FROM outbox",  # not the service's: the test's own look (tests/support/settling.py)
)
_CALLS = """
SELECT query, sum(calls)::bigint AS calls FROM pg_stat_statements
WHERE toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = $1) AND query NOT LIKE ALL($2::text[])
GROUP BY query
"""


def database_of(dsn: str) -> str:
    """The database a `DATABASE_URL` names."""
    return unquote(urlsplit(dsn).path.lstrip("/"))


class Statements:
    """Top-level statements run in one database, as PostgreSQL counts them."""

    def __init__(self, conn: asyncpg.Connection, database: str) -> None:
        self._conn = conn
        self.database = database

    @classmethod
    async def connect(cls, server_url: str, database: str) -> Statements:
        """Skips the test when the server does not load pg_stat_statements (a server passed by URL)."""
        conn = await asyncpg.connect(database_url(server_url, MONITOR_DATABASE), timeout=10)
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            await conn.fetchval("SELECT count(*) FROM pg_stat_statements")
        except asyncpg.PostgresError as exc:
            await conn.close()
            pytest.skip(f"pg_stat_statements is not available on this server: {exc}")
        return cls(conn, database)

    async def close(self) -> None:
        await self._conn.close()

    async def snapshot(self) -> Counter[str]:
        rows = await self._conn.fetch(_CALLS, self.database, list(TIMED))
        return Counter({row["query"]: int(row["calls"]) for row in rows})


def breakdown(before: Counter[str], after: Counter[str]) -> str:
    """The statements run between two snapshots, most frequent first (for a failing assertion)."""
    ran = after - before
    return "\n".join(f"{calls:3d}  {' '.join(query.split())[:110]}" for query, calls in ran.most_common())
