"""What a unit of work stamps on what it writes, whatever store it writes to: every event's metadata
and every integration event's envelope carry the request's correlation and the producing service."""

from __future__ import annotations

from typing import Any

from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import IntegrationEvent
from shared.tracing import current_causation_id, current_correlation_id


def event_metadata(producer: str) -> dict[str, Any]:
    """The metadata of the events a unit appends now."""
    return {
        "correlation_id": current_correlation_id(),
        "causation_id": current_causation_id(),
        "producer": producer,
    }


def outgoing_envelope(
    event: IntegrationEvent,
    *,
    producer: str,
    aggregate_id: str,
    aggregate_version: int = 0,
    aggregate_type: str | None = None,
) -> Envelope:
    """An integration event wrapped for the outbox, in the current request's correlation."""
    return Envelope.of(
        event,
        aggregate_id=aggregate_id,
        aggregate_version=aggregate_version,
        aggregate_type=aggregate_type,
        correlation_id=current_correlation_id(),
        causation_id=current_causation_id(),
        producer=producer,
    )
