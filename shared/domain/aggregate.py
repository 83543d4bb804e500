"""Event-sourced aggregate root: state is a left fold of its own events.

Command methods check rules and call `_record(event)`; `apply(event)` is the only place state
changes, so loading from the store and handling a command go through the same code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import ClassVar, Self

from shared.contracts.registry import EventRegistry, VersionedEvent


class Aggregate(ABC):
    """Base of every aggregate: an id, the version it was loaded at, and events not yet saved."""

    stream_type: ClassVar[str]
    registry: ClassVar[EventRegistry]

    def __init__(self, aggregate_id: str) -> None:
        self.id = aggregate_id
        self.version = 0
        self._pending: list[VersionedEvent] = []

    @abstractmethod
    def apply(self, event: VersionedEvent) -> None:
        """Change state for one event. Must not raise for events that were valid when recorded."""

    @classmethod
    def rehydrate(cls, aggregate_id: str, history: Iterable[VersionedEvent]) -> Self:
        aggregate = cls(aggregate_id)
        aggregate.catch_up(history)
        return aggregate

    def catch_up(self, history: Iterable[VersionedEvent]) -> None:
        """Fold committed events that follow the version this instance is at."""
        for event in history:
            self.apply(event)
            self.version += 1

    def _record(self, event: VersionedEvent) -> None:
        self.apply(event)
        self._pending.append(event)

    @property
    def exists(self) -> bool:
        return self.version > 0 or bool(self._pending)

    @property
    def loaded_version(self) -> int:
        """The stream version this instance was read at: the expected version for the next append."""
        return self.version

    @property
    def current_version(self) -> int:
        """The version the stream will have once the pending events are saved."""
        return self.version + len(self._pending)

    def take_pending(self) -> list[VersionedEvent]:
        events, self._pending = self._pending, []
        return events

    def peek_pending(self) -> list[VersionedEvent]:
        return list(self._pending)
