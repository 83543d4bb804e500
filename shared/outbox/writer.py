"""Writes integration events into the outbox table, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import topic_for
from shared.eventstore.database import DbConnection

_INSERT = """
INSERT INTO outbox (topic, key, event_id, payload, headers)
SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::bytea[], $5::jsonb[])
"""

NOTIFY_CHANNEL = "outbox"


async def write_outbox(
    conn: DbConnection, messages: Sequence[tuple[str, Envelope]], topic_prefix: str = ""
) -> None:
    """Queue `(key, envelope)` pairs for the relay; visible to it only if the transaction commits."""
    if not messages:
        return
    await conn.execute(
        _INSERT,
        [topic_for(env.event_type, topic_prefix) for _, env in messages],
        [key for key, _ in messages],
        [env.event_id for _, env in messages],
        [env.to_json() for _, env in messages],
        [{name: value.decode() for name, value in env.kafka_headers()} for _, env in messages],
    )
