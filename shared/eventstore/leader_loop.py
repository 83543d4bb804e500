"""A background worker on a connection of its own that survives database outages: the outbox relay
and the projection runners both run on it.

The worker is woken in process after a commit it cares about (`wake`), and polls every
`poll_interval` for writes made by other processes. Its connection holds what lives as long as the
session: the leader lock taken in `prepare`, and `synchronous_commit = off` for the derived data
these workers write (projection rows and checkpoints, deletes of published outbox rows): rebuilt or
republished after a crash, so their commits need not wait for the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from shared.eventstore.database import connect

log = logging.getLogger(__name__)

Step = Callable[[asyncpg.Connection], Awaitable[bool]]


async def lead_and_follow(
    dsn: str,
    step: Step,
    *,
    name: str,
    poll_interval: float,
    wake: asyncio.Event,
    prepare: Callable[[asyncpg.Connection], Awaitable[None]] | None = None,
    coalesce: float = 0.0,
    spacing: float = 0.0,
) -> None:
    """Run `step(conn)` when `wake` is set, or every `poll_interval`, until cancelled.

    `step` returns True when there is more to do at once. `prepare` runs on the connection after each
    (re)connect, e.g. to wait for a leader lock that lives as long as the connection. After a wake-up
    the worker waits `coalesce` seconds, so that one step covers the commits of that moment, and at
    least until `spacing` seconds have passed since the previous step began: a worker woken after a
    quiet spell steps at once, one woken again and again under load takes what came meanwhile in one
    step (a batch's statements are paid once per step, not once per commit).
    """
    loop = asyncio.get_running_loop()
    backoff = 0.2
    while True:
        conn: asyncpg.Connection | None = None
        try:
            conn = await connect(dsn)
            await conn.execute("SET synchronous_commit = off")
            if prepare is not None:
                await prepare(conn)
            backoff = 0.2
            while True:
                wake.clear()
                began = loop.time()
                if await step(conn):
                    continue
                woken = False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), poll_interval)
                    woken = True
                if woken:
                    pause = max(coalesce, began + spacing - loop.time())
                    if pause > 0:
                        await asyncio.sleep(pause)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s interrupted (%s: %s); retrying in %.1fs", name, type(exc).__name__, exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
        finally:
            if conn is not None and not conn.is_closed():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), 2)
