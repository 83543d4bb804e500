"""Aggregates whose streams grow without end can be loaded from a snapshot plus the events after it.

A product's stock stream gains an event with every sale, so loading it by folding the whole
stream costs more with every sale (and every allocation of a popular product loads it). An
aggregate that opts in here is saved as a snapshot of its state every `snapshot_every` events, in
the same transaction as those events, and loaded from the latest snapshot and what followed.
Snapshots are a cache: the stream stays the truth, and a snapshot of another `snapshot_version`
(its state's shape changed) is ignored, so the aggregate is folded from its whole stream again.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

from shared.domain.aggregate import Aggregate


def moment_text(value: datetime | None) -> str | None:
    """A time of an aggregate's state as a snapshot holds it: ISO 8601 with its offset."""
    return None if value is None else value.isoformat()


def moment_from_text(value: str | None) -> datetime | None:
    """A time from a snapshot, always aware: one written without an offset meant UTC, and a naive
    time in the state would make every later comparison with the (aware) clock raise."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class SnapshottingAggregate(Aggregate):
    # Take a snapshot each time the stream's version passes a multiple of this.
    snapshot_every: ClassVar[int] = 100
    # Bump whenever `snapshot_state` changes shape or meaning: older snapshots are then ignored.
    snapshot_version: ClassVar[int] = 1

    @abstractmethod
    def snapshot_state(self) -> dict[str, Any]:
        """The whole state `apply` has folded, as JSON values."""

    @abstractmethod
    def restore_state(self, state: dict[str, Any]) -> None:
        """Set the state from what `snapshot_state` returned (on a freshly constructed aggregate)."""

    @classmethod
    def from_snapshot(cls, aggregate_id: str, version: int, state: dict[str, Any]) -> Self:
        aggregate = cls(aggregate_id)
        aggregate.restore_state(state)
        aggregate.version = version
        return aggregate

    def passes_snapshot_point(self, from_version: int, to_version: int) -> bool:
        """Whether saving events from `from_version` to `to_version` crosses a snapshot point."""
        return to_version // self.snapshot_every > from_version // self.snapshot_every
