"""Waiting for an effect that lands after the action that caused it.

A projection runner, an outbox relay, a Kafka consumer or nginx's log writer applies an effect some
time after the request that caused it has been answered; reading it at once races that. On a busy
2-core machine "some time" can be many seconds, so the wait is bounded by a generous deadline, not
by a number of tries, and it hands back what it saw last: the caller asserts on that value, so a
timeout still fails the test with a message that shows how far the effect got.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

T = TypeVar("T")

DEADLINE_SECONDS = 60.0


async def poll_until(
    read: Callable[[], Awaitable[T] | T],
    done: Callable[[T], bool],
    *,
    timeout: float = DEADLINE_SECONDS,
    interval: float = 0.1,
) -> T:
    """`read()` again every `interval` s until `done(value)` or `timeout` s passed; the last value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        produced = read()
        value = cast(T, await produced if inspect.isawaitable(produced) else produced)
        if done(value) or loop.time() > deadline:
            return value
        await asyncio.sleep(interval)
