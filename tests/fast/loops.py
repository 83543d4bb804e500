"""Testing a service's background loops (a sweep, a reconciler) in the fast tier: waiting for what
a tick did, a read that fails or hangs on cue, and checking that a cancelled loop runs no more.
Every wait is bounded, so a loop that misbehaves fails its test instead of hanging it."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any


async def eventually(holds: Callable[[], bool | Awaitable[bool]], *, within: float = 1.0) -> None:
    """Return once `holds()` is true; AssertionError if it is not within `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        answer = holds()
        if await answer if inspect.isawaitable(answer) else answer:
            return
        assert loop.time() < deadline, f"not within {within}s"
        await asyncio.sleep(0.001)


@dataclass
class FlakyReads:
    """The reads a loop makes at the start of each tick: how many were made, how many more are to
    fail, and (`stuck`) whether a read hangs, as one whose database does not answer."""

    made: int = 0
    failing: int = 0
    stuck: bool = False

    async def read(self) -> None:
        """Count a read, then hang or fail it as told (an adapter calls it before reading)."""
        self.made += 1
        if self.stuck:
            await asyncio.Event().wait()
        if self.failing:
            self.failing -= 1
            raise ConnectionError("the database went away")


async def stops_for_good(loop_task: asyncio.Task[Any], reads: FlakyReads) -> None:
    """Cancel the loop; it ends as cancelled, and makes no read after that."""
    loop_task.cancel()
    await asyncio.wait({loop_task}, timeout=1.0)  # bounded: a loop that swallowed the cancel runs on
    assert loop_task.cancelled()
    made = reads.made
    await asyncio.sleep(0.01)
    assert reads.made == made
