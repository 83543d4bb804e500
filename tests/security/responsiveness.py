"""Whether a service stays responsive while an attack runs on it.

One unrelated read is timed before the attack and again, over and over, while the attack runs; the
two are compared with each other, never with a number of milliseconds: the machine is shared, and
its speed varies from run to run far more than within one test. The allowance is generous (an
attack that holds the event loop slows the read a hundredfold, a refused one a few times at most).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

SLOWDOWN_ALLOWED = 20
"""How many times slower than usual the read may be on average while the attack runs."""
SAMPLES = 15

Read = Callable[[], Awaitable[object]]


async def timed(read: Read) -> float:
    started = time.perf_counter()
    await read()
    return time.perf_counter() - started


async def usual_latency(read: Read) -> float:
    """The median time of `read` with nothing else going on (after one warm-up read)."""
    await read()
    return statistics.median([await timed(read) for _ in range(SAMPLES)])


async def latencies_during(attack: Awaitable[T], read: Read) -> tuple[T, list[float]]:
    """The attack's result, and the time of each `read` made one after another while it ran (at
    least one, started while the attack was in flight)."""
    task = asyncio.ensure_future(attack)
    await asyncio.sleep(0)  # let the attack send its first requests
    latencies: list[float] = []
    while not task.done() or not latencies:
        latencies.append(await timed(read))
    return await task, latencies


def assert_stayed_responsive(usual: float, during: list[float]) -> None:
    """The reads made during the attack took at most SLOWDOWN_ALLOWED times the usual on average.

    The mean, not the median: the reads follow one another, so a read stuck for seconds behind a
    stalled event loop is one sample among the many quick ones made between stalls; the mean weighs
    it by the time it lost (a stalled attack measured 100 times the usual, a refused one 5 to 7)."""
    average = statistics.fmean(during)
    assert average <= SLOWDOWN_ALLOWED * usual, (
        f"an unrelated read took {average * 1000:.1f} ms on average ({len(during)} reads, the slowest "
        f"{max(during) * 1000:.0f} ms) during the attack, {average / usual:.0f} times its usual "
        f"{usual * 1000:.1f} ms"
    )
