"""Counting the stream reads that reach PostgreSQL, for tests that a read was saved."""

from __future__ import annotations

from typing import Any

import pytest

from shared.eventstore.store import EventStore


class CountedReads:
    """Counts `EventStore.read_stream` calls (one stream read each) from now on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.reads = 0
        real = EventStore.read_stream

        async def read_stream(store: EventStore, *args: Any, **kwargs: Any) -> Any:
            self.reads += 1
            return await real(store, *args, **kwargs)

        monkeypatch.setattr(EventStore, "read_stream", read_stream)
