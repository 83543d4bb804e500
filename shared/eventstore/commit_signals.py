"""In-process signals of committed units of work: how relays, projection runners and waiting requests
learn of new writes without PostgreSQL NOTIFY.

A NOTIFY inside a write transaction serialises every such commit of the whole server through its WAL
flush (PostgreSQL takes one global lock for it in `PreCommit_Notify`): harmless with `fsync=off`, a wall
once commits are durable. So each unit of work, right after its commit, tells this process what it
wrote (`Commit`): the outbox rows go straight to the relay, the event types and log position wake only
the projection runners that fold them, and the streams wake requests waiting for them (an order not
consumed yet, an allocation reply). Writes by other processes are found by the readers' slow polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from shared.eventstore.positions import LogPosition

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxRow:
    """An outbox row as committed: what the relay publishes and then deletes by `id`."""

    id: int
    topic: str
    key: str
    payload: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Commit:
    """What one committed transaction wrote."""

    streams: frozenset[str] = frozenset()
    event_types: frozenset[str] = frozenset()
    last_position: LogPosition | None = None
    """The furthest log position appended (None when no event was)."""
    outbox: tuple[OutboxRow, ...] = field(default=())


Listener = Callable[[Commit], None]


class CommitSignals:
    """Listeners of every commit, and waiters for one stream's next commit, in this process."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._stream_waiters: dict[str, set[asyncio.Event]] = {}

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` after every commit (synchronously: it must only queue or set events).
        Returns a function that stops it."""
        self._listeners.append(listener)

        def stop() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return stop

    def committed(self, commit: Commit) -> None:
        """Tell listeners and waiters; a failing listener is logged, never the committer's problem."""
        for listener in list(self._listeners):
            try:
                listener(commit)
            except Exception:
                log.exception("commit listener %r failed", listener)
        for stream_id in commit.streams:
            for waiter in self._stream_waiters.get(stream_id, ()):
                waiter.set()

    @contextlib.contextmanager
    def watching(self, stream_id: str) -> Iterator[asyncio.Event]:
        """An event set by the next commit appending to `stream_id` in this process.

        Enter it *before* reading the stream, then wait on it if the read did not show what you need:
        a commit between the read and the wait is not missed. Clear it before reading again.
        """
        waiter = asyncio.Event()
        waiters = self._stream_waiters.setdefault(stream_id, set())
        waiters.add(waiter)
        try:
            yield waiter
        finally:
            waiters.discard(waiter)
            if not waiters:
                self._stream_waiters.pop(stream_id, None)


async def wait_for(waiter: asyncio.Event, timeout: float) -> bool:
    """Wait for `waiter` at most `timeout` seconds; True if it was set."""
    if timeout <= 0:
        return waiter.is_set()
    try:
        await asyncio.wait_for(waiter.wait(), timeout)
    except TimeoutError:
        return False
    return True
