"""The event store, its unit of work and its database helpers."""

from shared.eventstore.database import connect, create_pool, migrate
from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.positions import LOG_START, LogPosition
from shared.eventstore.store import EventStore, NewEvent, RecordedEvent

__all__ = [
    "LOG_START",
    "ConcurrencyError",
    "EventStore",
    "LogPosition",
    "NewEvent",
    "RecordedEvent",
    "connect",
    "create_pool",
    "migrate",
]
