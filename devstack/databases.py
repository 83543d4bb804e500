"""Databases on a PostgreSQL server, whether we started it or it was handed to us by URL.

Every service owns its own database; tests and ``make run`` create them on whichever server is in
use. :class:`PostgresHandle` is what fixtures and the stack hand out: ``dsn(db)`` and an idempotent
``create_database(db)``.
"""

from __future__ import annotations

import asyncio
from typing import Protocol
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg


class PostgresHandle(Protocol):
    """A PostgreSQL server to put databases on."""

    @property
    def url(self) -> str:
        """The server URL, as ``DATABASE_URL`` carries it."""
        ...

    def dsn(self, database: str) -> str:
        """The URL of ``database`` on this server."""
        ...

    async def create_database(self, name: str) -> None:
        """Create ``name`` unless it exists."""
        ...


def database_url(server_url: str, database: str) -> str:
    """``server_url`` with its database (the URL path) replaced by ``database``."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(database, safe=""), parts.query, ""))


def quote_ident(name: str) -> str:
    """An SQL identifier, quoted (``CREATE DATABASE`` takes no bind parameters)."""
    if not name or "\x00" in name:
        raise ValueError(f"invalid database name {name!r}")
    return '"' + name.replace('"', '""') + '"'


async def create_database(server_url: str, name: str) -> None:
    """Create database ``name`` on the server at ``server_url`` unless it exists (safe to race)."""
    conn = await asyncpg.connect(server_url, timeout=10)
    try:
        attempts = 6
        for attempt in range(attempts):
            if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                return
            try:
                await conn.execute("CREATE DATABASE " + quote_ident(name))
                return
            except asyncpg.DuplicateDatabaseError:
                return
            except asyncpg.ObjectInUseError:  # template1 busy with a concurrent CREATE DATABASE
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.1 * (attempt + 1))
    finally:
        await conn.close()


class ExternalPostgres:
    """A server we did not start (``DATABASE_URL``, a container): databases are created on it."""

    def __init__(self, server_url: str) -> None:
        self.url = server_url

    def dsn(self, database: str) -> str:
        """The URL of ``database`` on this server, with the same credentials."""
        return database_url(self.url, database)

    async def create_database(self, name: str) -> None:
        """Create ``name`` unless it exists."""
        await create_database(self.url, name)
