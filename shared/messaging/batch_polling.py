"""A batch subscriber that waits for records instead of napping between polls.

FastStream's batch subscriber polls with `getmany(timeout_ms=batch_timeout_ms)` and, when the poll
comes back empty, sleeps as long again before the next one. A message that arrives during the nap
waits for its end: up to `batch_timeout_ms` on every hop between services, and the payment request
waits on three (the order's opening, the allocation's request and its reply). aiokafka's `getmany`
already returns the moment a fetch brings any record, so one long poll without the nap serves both
ends: nothing waits for a timer, and an idle consumer wakes once a poll instead of 25 times a second.

A poll brings records partition by partition; the batch takes them in the order they were sent
(each partition's own order kept), so a message is applied after the one it follows from on
another topic when both came in one poll: the order service's payment event after the checkout
that opened the order, instead of parked for it (a failed batch, then one message at a time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from heapq import merge
from operator import attrgetter
from typing import Any

IDLE_POLL_MS = 1000
"""How long one poll waits when nothing comes: a bound on idle wake-ups, never a message's wait."""


def wait_for_records(subscriber: Any, *, poll_ms: int = IDLE_POLL_MS) -> None:
    """Make a FastStream batch subscriber's poll a long wait for records, with no nap after it.

    Its consume loop calls `get_msg(consumer)` and handles what it returns unless empty; stopping
    the subscriber cancels that loop, so a waiting poll does not hold up a shutdown."""
    max_records = subscriber.max_records

    async def get_msg(consumer: Any) -> tuple[Any, ...]:
        fetched = await consumer.getmany(timeout_ms=poll_ms, max_records=max_records)
        return in_sending_order(fetched.values())

    subscriber.get_msg = get_msg


def in_sending_order(partitions: Iterable[Sequence[Any]]) -> tuple[Any, ...]:
    """The records of every partition, by their timestamps, each partition's in its own order (a
    merge never reorders one input: a partition whose clock went back keeps its order)."""
    return tuple(merge(*partitions, key=attrgetter("timestamp")))
