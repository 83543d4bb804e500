"""A worker woken by Postgres NOTIFY (and by a poll, in case a notification is lost), that survives
database outages: the outbox relay and the projection runners both run on it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from shared.eventstore.database import connect

log = logging.getLogger(__name__)


async def follow_notifications(
    dsn: str,
    channel: str,
    step: Callable[[], Awaitable[bool]],
    *,
    name: str,
    poll_interval: float,
    prepare: Callable[[asyncpg.Connection], Awaitable[None]] | None = None,
    wake: asyncio.Event | None = None,
) -> None:
    """Run `step` after each notification on `channel`, or every `poll_interval`, until cancelled.

    `step` returns True when there is more to do at once. `prepare` runs on the listening connection
    after each (re)connect, e.g. to take a leader lock that lives as long as the connection. Setting
    `wake` from elsewhere runs `step` at once too.
    """
    wake = wake or asyncio.Event()
    backoff = 0.2
    while True:
        listener: asyncpg.Connection | None = None
        try:
            listener = await connect(dsn)
            if prepare is not None:
                await prepare(listener)
            await listener.add_listener(channel, lambda *_: wake.set())
            backoff = 0.2
            while True:
                wake.clear()
                if await step():
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), poll_interval)
                if listener.is_closed():
                    raise ConnectionError(f"{name}: listener connection closed")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s interrupted (%s: %s); retrying in %.1fs", name, type(exc).__name__, exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
        finally:
            if listener is not None and not listener.is_closed():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(listener.close(), 2)
