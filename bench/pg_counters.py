"""What PostgreSQL itself counted: statements (``pg_stat_statements``), commits (``pg_stat_database``),
transactions that wrote (transaction ids handed out), and whether it runs durable (``SHOW fsync`` and
friends).

The server preloads pg_stat_statements with ``track = all`` (devstack/postgres.py); the view needs
the extension created in the database it is read from, here ``postgres``, which no service uses. The
benchmark's own queries run there, so leaving that database's statements out leaves out exactly the
monitor's. Statement counts are kept in shared memory as each statement ends, so they are exact at
any instant; ``pg_stat_database`` is flushed by each backend at most once a second (and by an idle
one after up to 10 s), so a commit count over a step is off by about a second's worth at each end:
a few percent over a 60 s step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg

from devstack.databases import database_url

log = logging.getLogger("bench")
MONITOR_DATABASE = "postgres"
_STATEMENTS = """
SELECT coalesce(sum(calls) FILTER (WHERE toplevel), 0)::bigint AS top,
       coalesce(sum(calls) FILTER (WHERE NOT toplevel), 0)::bigint AS nested
FROM pg_stat_statements
WHERE dbid <> (SELECT oid FROM pg_database WHERE datname = $1)
"""
_STATEMENTS_BEFORE_14 = """
SELECT coalesce(sum(calls), 0)::bigint AS top, 0::bigint AS nested
FROM pg_stat_statements
WHERE dbid <> (SELECT oid FROM pg_database WHERE datname = $1)
"""
_COMMITS = """
SELECT coalesce(sum(xact_commit), 0)::bigint AS commits, coalesce(sum(xact_rollback), 0)::bigint AS rollbacks
FROM pg_stat_database
WHERE datname = ANY($1::text[])
"""
_BY_STATEMENT = """
SELECT d.datname, s.toplevel, s.query, sum(s.calls)::bigint AS calls
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname <> $1
GROUP BY 1, 2, 3
"""
_WAL_SYNCS = "SELECT wal_sync FROM pg_stat_wal"
# The next transaction id the server will hand out: a transaction gets one only when it writes, so
# its growth counts the transactions that wrote (every database of the server; reads get none).
_NEXT_XID = "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
SETTINGS = ("fsync", "synchronous_commit", "full_page_writes", "wal_compression", "commit_delay")


@dataclass(frozen=True, order=True)
class StatementKey:
    """One normalised statement of one database, top-level (a round trip) or run inside another."""

    database: str
    toplevel: bool
    query: str


@dataclass(frozen=True)
class PgCounts:
    statements: int | None
    """Top-level statements executed (the round trips: a client sends each one), None without the view."""
    nested_statements: int | None
    """Statements run inside others (trigger and function bodies, e.g. the NOTIFY triggers)."""
    commits: int
    """Every transaction, a lone read in autocommit included (each is one in PostgreSQL's count)."""
    rollbacks: int
    wal_syncs: int | None = None
    """WAL flushes to disk (``pg_stat_wal.wal_sync``, PostgreSQL 14+): what durable commits cost,
    several commits sharing one flush under group commit."""
    next_xid: int | None = None
    """The next transaction id: its growth is the number of transactions that wrote (and a write's
    rolled-back attempts), the commits left once lone reads are not counted."""
    by_statement: dict[StatementKey, int] | None = None
    """Calls of each normalised statement, only when asked for (``BENCH_STATEMENTS=1``)."""


def durable(settings: dict[str, str]) -> bool:
    """Every acknowledged commit is on disk: fsync and synchronous_commit on, full pages written."""
    return (
        settings.get("fsync") == "on"
        and settings.get("synchronous_commit", "off") != "off"
        and settings.get("full_page_writes") == "on"
    )


class PgCounters:
    """One connection to the stack's server, for counters read at the edges of each measured window."""

    def __init__(self, server_url: str, service_databases: list[str], *, by_statement: bool = False) -> None:
        self._url = database_url(server_url, MONITOR_DATABASE)
        self.databases = service_databases
        self._by_statement = by_statement
        self._conn: asyncpg.Connection | None = None
        self._statements = False
        self._toplevel = False

    async def start(self) -> None:
        self._conn = await asyncpg.connect(self._url, timeout=10)
        try:
            await self._conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            self._toplevel = bool(
                await self._conn.fetchval(
                    "SELECT count(*) FROM information_schema.columns"
                    " WHERE table_name = 'pg_stat_statements' AND column_name = 'toplevel'"
                )
            )
            await self._conn.fetchval("SELECT count(*) FROM pg_stat_statements")
            self._statements = True
        except asyncpg.PostgresError as exc:  # not preloaded: a server started before devstack loaded it
            log.warning("pg_stat_statements unavailable (%s): no SQL round trips per checkout", exc)

    async def aclose(self) -> None:
        if self._conn is not None:
            await self._conn.close()

    @property
    def conn(self) -> asyncpg.Connection:
        if self._conn is None:
            raise RuntimeError("PgCounters.start() first")
        return self._conn

    async def settings(self) -> dict[str, str]:
        """The server's durability settings, as ``SHOW`` reports them."""
        return {name: str(await self.conn.fetchval(f"SHOW {name}")) for name in SETTINGS}

    async def counts(self) -> PgCounts:
        statements = nested = None
        if self._statements:
            row = await self.conn.fetchrow(
                _STATEMENTS if self._toplevel else _STATEMENTS_BEFORE_14, MONITOR_DATABASE
            )
            assert row is not None  # an aggregate always returns its row
            statements, nested = int(row["top"]), int(row["nested"])
        row = await self.conn.fetchrow(_COMMITS, self.databases)
        assert row is not None
        try:
            wal_syncs: int | None = int(await self.conn.fetchval(_WAL_SYNCS))
        except asyncpg.PostgresError:  # before PostgreSQL 14
            wal_syncs = None
        next_xid = int(await self.conn.fetchval(_NEXT_XID))
        by_statement = await self._statement_calls() if self._by_statement and self._toplevel else None
        return PgCounts(
            statements, nested, int(row["commits"]), int(row["rollbacks"]), wal_syncs, next_xid, by_statement
        )

    async def _statement_calls(self) -> dict[StatementKey, int]:
        rows = await self.conn.fetch(_BY_STATEMENT, MONITOR_DATABASE)
        return {StatementKey(r["datname"], r["toplevel"], r["query"]): int(r["calls"]) for r in rows}
