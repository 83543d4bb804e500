"""Concurrency helpers for start-ups: fail fast, and never leave a half-done step running behind us."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def gather_or_cancel(*coros: Coroutine[Any, Any, Any]) -> list[Any]:
    """Like ``asyncio.gather``, but the first failure cancels the rest and is raised as itself.

    (``asyncio.TaskGroup`` would wrap it in an ``ExceptionGroup``; callers want the plain
    ``ServerStartError`` that names the server.)
    """
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except BaseException:  # we were cancelled: cancel the children too, and wait for their clean-up
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    if pending:  # one failed: the others' clean-up (stopping their servers) runs on cancellation
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    for task in tasks:
        if task.done() and not task.cancelled():
            error = task.exception()
            if error is not None:
                raise error
    return [task.result() for task in tasks]


async def in_thread(func: Callable[..., T], /, *args: Any) -> T:
    """``asyncio.to_thread``, except that cancellation waits for the thread to finish first.

    A thread cannot be stopped; if we returned at once, a preparation step (initdb, a Maven fetch)
    could create files or folders after the caller has already cleaned up.
    """
    task = asyncio.ensure_future(asyncio.to_thread(func, *args))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise
