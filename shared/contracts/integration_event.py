"""The base of integration events: the facts services publish to each other through Kafka.

Integration events are public API (other backend systems publish and consume them), so they are
separate from each service's internal domain events, versioned, and only evolve additively; a
breaking change is a new `schema_version` with an upcaster, or a new event type.
"""

from __future__ import annotations

from typing import ClassVar

from shared.contracts.registry import EventRegistry, VersionedEvent

CONTRACTS = EventRegistry("integration events")


class IntegrationEvent(VersionedEvent):
    """An event other services may consume. Its topic is named after its type."""

    model_config = VersionedEvent.model_config | {"extra": "ignore"}

    aggregate_type: ClassVar[str] = "unknown"


def topic_for(event_type: str, prefix: str = "") -> str:
    """Topics are named after integration events; a prefix lets several stacks share a cluster."""
    return f"{prefix}{event_type}"
