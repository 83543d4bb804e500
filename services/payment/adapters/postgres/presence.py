"""This process's mark in PostgreSQL, for the payments it holds without a lock (`owned`).

One connection per process, named `application_name = "payment <owner>"`, open for as long as the
process lives: a process that dies loses it with its sockets, so another instance's reconciler
reading `pg_stat_activity` knows whether the owner of an open transaction is still there. Lost
while the process lives (PostgreSQL restarted), it is opened again within a second or so; until
then other instances may take the process for dead and fail its payments in progress, which moves
no money (only gateways that stay in the process are held this way) and releases their stock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

import asyncpg

from shared.eventstore.database import Executor

log = logging.getLogger(__name__)

PREFIX = "payment "
_LIVING = (
    "SELECT DISTINCT substr(application_name, $2) AS owner FROM pg_stat_activity"
    " WHERE datname = current_database() AND application_name = ANY($1::text[])"
)


class Presence:
    """The connection that says `owner` is alive, reopened whenever it is lost."""

    def __init__(self, dsn: str, owner: str, *, retry_every: float = 1.0) -> None:
        self.dsn = dsn
        self.owner = owner
        self.retry_every = retry_every
        self._conn: asyncpg.Connection | None = None
        self._reopening: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def present(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def open(self) -> None:
        self._closing = False
        await self._connect()

    async def close(self) -> None:
        self._closing = True
        if self._reopening is not None:
            self._reopening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reopening
            self._reopening = None
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    async def _connect(self) -> None:
        conn = await asyncpg.connect(self.dsn, server_settings={"application_name": PREFIX + self.owner})
        conn.add_termination_listener(self._lost)
        self._conn = conn

    def _lost(self, conn: object, /) -> None:
        if self._closing or conn is not self._conn or self._reopening is not None:
            return
        log.warning("payment presence connection lost; reopening it")
        self._reopening = asyncio.get_running_loop().create_task(self._reopen())

    async def _reopen(self) -> None:
        try:
            while not self._closing:
                await asyncio.sleep(self.retry_every)
                try:
                    await self._connect()
                    return
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("payment presence: cannot reconnect yet (%r)", exc)
        finally:
            self._reopening = None


async def living(db: Executor, owners: Iterable[str]) -> set[str]:
    """Those of `owners` whose presence connection is open now."""
    names = [PREFIX + owner for owner in owners]
    if not names:
        return set()
    return {row["owner"] for row in await db.fetch(_LIVING, names, len(PREFIX) + 1)}
