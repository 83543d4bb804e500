"""Waking the HTTP request that waits for inventory's answer to its allocation request.

The reply is consumed from Kafka by whichever instance of the service owns the partition, and
recorded on the transaction. When that is this instance, the consumer wakes the waiting request
at once (after its commit); otherwise the request notices by polling the transaction.
"""

from __future__ import annotations

import asyncio


class AllocationReplies:
    """In-process wake-ups keyed by request id (the transaction id)."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Event] = {}

    def expect(self, request_id: str) -> asyncio.Event:
        return self._waiting.setdefault(request_id, asyncio.Event())

    def arrived(self, request_id: str) -> None:
        event = self._waiting.get(request_id)
        if event is not None:
            event.set()

    def forget(self, request_id: str) -> None:
        self._waiting.pop(request_id, None)
