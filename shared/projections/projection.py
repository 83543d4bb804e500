"""A projection: a read model in its own Postgres schema, built from the service's event log.

Each projection owns a schema (`proj_<name>`), so a rebuild can build a complete copy beside the
live one and swap it in with one `ALTER SCHEMA ... RENAME` in a transaction: readers see the old
model or the new one, never a half-built one. `apply` writes to the schema it is given.

A projection folds typed events: each record it wants is decoded and upcast by the service's
registry (`registry`) before `apply` sees it, so a read model reads fields by name and type, and an
event stored in an older schema version reaches it in the current one.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.eventstore.database import DbConnection
from shared.eventstore.store import RecordedEvent


@dataclass(frozen=True)
class Projected:
    """An event as a projection folds it: decoded and upcast (`event`), and where it was recorded."""

    event: VersionedEvent
    record: RecordedEvent

    @property
    def stream_id(self) -> str:
        return self.record.stream_id

    @property
    def version(self) -> int:
        """The event's version in its stream."""
        return self.record.version

    @property
    def occurred_at(self) -> datetime:
        return self.record.occurred_at


class Projection(ABC):
    """Subclasses name themselves, declare their tables and fold events into them."""

    name: ClassVar[str]
    registry: ClassVar[EventRegistry]
    """The service's events: what decodes (and upcasts) the records this projection folds."""
    # Event types this projection reads; None means all of them.
    event_types: ClassVar[frozenset[str] | None] = None
    # Bump when the rows change meaning without the tables changing (the DDL is part of the shape).
    version: ClassVar[int] = 1

    @property
    def schema(self) -> str:
        """The live schema readers query."""
        return f"proj_{self.name}"

    @property
    def shape(self) -> str:
        """Which tables and rows this code writes: a model stored in another shape is rebuilt (see
        `runner.py`) rather than written into with statements it was not made for."""
        ddl = "\n".join(self.ddl("{schema}")).encode()
        return f"v{self.version}-{hashlib.sha256(ddl).hexdigest()[:16]}"

    @abstractmethod
    def ddl(self, schema: str) -> list[str]:
        """Statements creating the projection's tables inside `schema`."""

    @abstractmethod
    async def apply(self, conn: DbConnection, schema: str, event: Projected) -> None:
        """Fold one event into the tables of `schema`. Runs inside the runner's transaction."""

    async def apply_batch(self, conn: DbConnection, schema: str, events: Sequence[RecordedEvent]) -> None:
        """Fold a batch of events (in log order), one by one unless a projection knows better: one
        whose rows depend only on each stream's latest state can write a batch in a few statements
        (rebuilds and catching up are then bound by reading, not by one round trip per event)."""
        for event in events:
            if self.wants(event):
                await self.apply(conn, schema, self.projected(event))

    def projected(self, record: RecordedEvent) -> Projected:
        """`record` decoded and upcast by the service's registry."""
        return Projected(self.registry.load(record.event_type, record.schema_version, record.data), record)

    def wants(self, event: RecordedEvent) -> bool:
        return self.event_types is None or event.event_type in self.event_types
