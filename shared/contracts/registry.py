"""A registry of versioned event classes and the upcasters that bring old payloads forward.

Stored and published events are never rewritten. When a payload's `schema_version` is older than
the class that reads it, the chain of upcasters `v1 -> v2 -> ... -> current` runs on the raw dict
before pydantic validates it (the `eventsourcing` library's `class_version` idea).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class VersionedEvent(BaseModel):
    """Base of every event class, domain or integration: immutable, named, versioned."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


E = TypeVar("E", bound=type[VersionedEvent])


class UnknownEventType(LookupError):
    """No class is registered under this event type."""


class UnsupportedSchemaVersion(ValueError):
    """The payload is newer than the code, or an upcaster in the chain is missing."""


class EventRegistry:
    """Maps event type names to classes and holds the upcaster chains."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._classes: dict[str, type[VersionedEvent]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, cls: E) -> E:
        """Class decorator: register `cls` under its `event_type` (the latest schema version)."""
        event_type = cls.__dict__.get("event_type") or cls.__name__
        cls.event_type = event_type
        existing = self._classes.get(event_type)
        if existing is not None and existing is not cls:
            raise ValueError(f"{self.name}: event type {event_type!r} registered twice")
        self._classes[event_type] = cls
        return cls

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: register the function that turns `from_version` data into `from_version + 1`."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = fn
            return fn

        return decorate

    def class_for(self, event_type: str) -> type[VersionedEvent]:
        try:
            return self._classes[event_type]
        except KeyError:
            raise UnknownEventType(f"{self.name}: unknown event type {event_type!r}") from None

    def knows(self, event_type: str) -> bool:
        return event_type in self._classes

    def event_types(self) -> list[str]:
        return sorted(self._classes)

    def upcast(self, event_type: str, schema_version: int, data: dict[str, Any]) -> dict[str, Any]:
        """Bring `data` from `schema_version` to the registered class's version."""
        current = self.class_for(event_type).schema_version
        if schema_version > current:
            raise UnsupportedSchemaVersion(
                f"{event_type} schema_version {schema_version} is newer than this code ({current})"
            )
        version = schema_version
        while version < current:
            step = self._upcasters.get((event_type, version))
            if step is None:
                raise UnsupportedSchemaVersion(f"no upcaster for {event_type} v{version} -> v{version + 1}")
            data = step(dict(data))
            version += 1
        return data

    def load(self, event_type: str, schema_version: int, data: dict[str, Any]) -> VersionedEvent:
        """Upcast and validate a stored or received payload into its event object."""
        cls = self.class_for(event_type)
        return cls.model_validate(self.upcast(event_type, schema_version, data))
