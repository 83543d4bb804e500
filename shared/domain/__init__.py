"""Pure domain building blocks shared by every service (no I/O)."""

from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.domain.aggregate import Aggregate
from shared.domain.errors import DomainError

DomainEvent = VersionedEvent

__all__ = ["Aggregate", "DomainError", "DomainEvent", "EventRegistry", "VersionedEvent"]
