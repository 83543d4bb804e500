"""A Kafka record as a consumer receives it, carrying an envelope: what a test hands a consumer's
handler where no broker runs."""

from __future__ import annotations

from shared.contracts.envelope import Envelope
from shared.messaging.dead_letters import FailedMessage


def record_of(env: Envelope, key: str, offset: int = 0) -> FailedMessage:
    """`env` on partition 0 of its event's topic, at `offset`, keyed `key`."""
    return FailedMessage(
        topic=env.event_type,
        partition=0,
        offset=offset,
        key=key.encode(),
        value=env.to_json(),
        headers=tuple(env.kafka_headers()),
    )
