"""The public contract of the checkout platform's events: read this package to integrate.

- `Envelope`: the JSON value of every Kafka message (ids, type, version, tracing, `data`).
- `shared.contracts.events`: every integration event, one topic each.
- `shared.contracts.inbound`: the events other systems publish into the platform (warehouse, 3PL).
- `CONTRACTS`: the registry that decodes and upcasts them; `topic_for` names their topics.
"""

from shared.contracts import events, inbound
from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import CONTRACTS, IntegrationEvent, topic_for
from shared.contracts.registry import (
    EventRegistry,
    UnknownEventType,
    UnsupportedSchemaVersion,
    VersionedEvent,
)

__all__ = [
    "CONTRACTS",
    "Envelope",
    "EventRegistry",
    "IntegrationEvent",
    "UnknownEventType",
    "UnsupportedSchemaVersion",
    "VersionedEvent",
    "events",
    "inbound",
    "topic_for",
]
