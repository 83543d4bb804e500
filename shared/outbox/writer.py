"""Writes integration events into the outbox table, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import topic_for
from shared.eventstore.commit_signals import OutboxRow
from shared.eventstore.database import DbConnection

_INSERT = """
INSERT INTO outbox (topic, key, event_id, payload, headers)
SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::bytea[], $5::jsonb[])
RETURNING id
"""


async def write_outbox(
    conn: DbConnection, messages: Sequence[tuple[str, Envelope]], topic_prefix: str = ""
) -> list[OutboxRow]:
    """Queue `(key, envelope)` pairs for the relay; visible to it only if the transaction commits.

    Returns the rows as written, so that the relay can be handed them after the commit instead of
    reading them back."""
    if not messages:
        return []
    topics = [topic_for(env.event_type, topic_prefix) for _, env in messages]
    keys = [key for key, _ in messages]
    payloads = [env.to_json() for _, env in messages]
    headers = [{name: value.decode() for name, value in env.kafka_headers()} for _, env in messages]
    rows = await conn.fetch(_INSERT, topics, keys, [env.event_id for _, env in messages], payloads, headers)
    # unnest's rows are inserted in order, and a bigserial increases within one statement.
    ids = sorted(row["id"] for row in rows)
    return [OutboxRow(*row) for row in zip(ids, topics, keys, payloads, headers, strict=True)]
