"""Fewer cyclic garbage collections where a process allocates many short-lived objects.

CPython starts a young-generation collection every 700 net allocations, and each older collection
walks every object that has lived long enough: the imported modules, the HTTP app, the models.
In a projection rebuild that was a quarter of the CPU (20,500 -> 28,600 events per second on the
bench's store when raised); in the running services, about 6 % of their CPU at the benchmark's top
step (perf, round 13). Reference counting still frees everything acyclic at once; cycles wait a
little longer.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 100_000
SERVICE_YOUNG_THRESHOLD = 10_000
"""A service's young generation: a request or a batch allocates a few thousand objects, nearly all
freed by reference counting before a collection would look at them."""


@contextmanager
def relaxed_gc(young: int = YOUNG_THRESHOLD) -> Iterator[None]:
    """Raise the young-generation threshold for the block, then restore the previous thresholds."""
    previous = gc.get_threshold()
    gc.set_threshold(young, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def settle_service_heap(young: int = SERVICE_YOUNG_THRESHOLD) -> None:
    """Before a service starts serving: what it built to start lives as long as the process, so
    leave it out of every later collection (`gc.freeze`), and collect the young less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(young, *gc.get_threshold()[1:])
