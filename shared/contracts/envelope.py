"""The envelope every integration event travels in: one JSON value per Kafka message.

The envelope is the public wire contract (see DESIGN.md "Events"). It carries enough metadata
for a consumer to deduplicate (`event_id`), order (`aggregate_version`), trace
(`correlation_id`/`causation_id`) and upcast (`schema_version`) without knowing the producer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import orjson
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from shared.contracts.integration_event import IntegrationEvent


def utc_now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """An integration event as it is published: metadata plus the event's `data`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: UUID = Field(default_factory=uuid4)
    event_type: str = Field(min_length=1, max_length=200)
    schema_version: int = Field(ge=1)
    occurred_at: datetime = Field(default_factory=utc_now)
    aggregate_type: str = Field(min_length=1, max_length=200)
    aggregate_id: str = Field(min_length=1, max_length=500)
    aggregate_version: int = Field(ge=0)
    correlation_id: str = Field(min_length=1, max_length=200)
    causation_id: str | None = Field(default=None, max_length=200)
    producer: str = Field(min_length=1, max_length=200)
    data: dict[str, Any]

    @classmethod
    def of(
        cls,
        event: IntegrationEvent,
        *,
        aggregate_id: str,
        producer: str,
        correlation_id: str,
        causation_id: str | None = None,
        aggregate_version: int = 0,
        aggregate_type: str | None = None,
    ) -> Envelope:
        """Wrap an integration event for publishing (its type, version and data come from it)."""
        return cls(
            event_type=event.event_type,
            schema_version=event.schema_version,
            aggregate_type=aggregate_type or event.aggregate_type,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            correlation_id=correlation_id,
            causation_id=causation_id,
            producer=producer,
            data=event.model_dump(mode="json"),
        )

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        return cls.model_validate(orjson.loads(raw))

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        """Headers that let brokers' tools and consumers route without parsing the value."""
        return [
            ("event_type", self.event_type.encode()),
            ("schema_version", str(self.schema_version).encode()),
            ("correlation_id", self.correlation_id.encode()),
            ("event_id", str(self.event_id).encode()),
        ]
