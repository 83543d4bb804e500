"""Password hashing off the event loop, on a few threads of its own, with a bounded queue.

scrypt takes about 40 ms of CPU. On the event loop, 40 wrong passwords stalled every other request
of the cart service for 1.4 s. Here it runs on dedicated threads (hashlib releases the GIL while it
hashes), so the loop keeps serving; the threads are few (half the cores) so that password work
cannot take the whole machine, and not the loop's default executor, which other work shares. Beyond
`max_waiting` checks in progress, a new one is refused at once (429) instead of queueing for ever.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from services.cart.domain.passwords import hash_password, verify_password
from shared.http.errors import ApiError

DEFAULT_THREADS = max(1, (os.cpu_count() or 2) // 2)
DEFAULT_MAX_WAITING = 32
"""About a second of work on one thread: a queue longer than that only makes everyone wait."""
RETRY_AFTER_SECONDS = 1

R = TypeVar("R")


class PasswordHasher:
    """`await hash(password)` and `await verify(password, stored)`, each on the hashing threads."""

    def __init__(self, threads: int = DEFAULT_THREADS, max_waiting: int = DEFAULT_MAX_WAITING) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="password-hash")
        self._max_waiting = max_waiting
        self._in_progress = 0  # touched only on the event loop's thread

    async def hash(self, password: str) -> str:
        return await self._run(functools.partial(hash_password, password))

    async def verify(self, password: str, stored: str | None) -> bool:
        """Whether `password` matches `stored`; None (no such customer) costs the same and is False."""
        return await self._run(functools.partial(verify_password, password, stored))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _run(self, work: Callable[[], R]) -> R:
        if self._in_progress >= self._max_waiting:
            raise ApiError(
                429,
                "Too Many Requests",
                "Too many password checks are in progress; retry shortly",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        self._in_progress += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work)
        finally:
            self._in_progress -= 1
