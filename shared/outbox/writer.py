"""Writes integration events into the outbox table, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import topic_for
from shared.eventstore.commit_signals import OutboxRow
from shared.eventstore.database import DbConnection
from shared.eventstore.one_statement import StagedOutbox

_INSERT = """
INSERT INTO outbox (topic, key, event_id, payload, headers)
SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::bytea[], $5::jsonb[])
RETURNING id
"""


def stage_outbox(messages: Sequence[tuple[str, Envelope]], topic_prefix: str = "") -> StagedOutbox:
    """The outbox columns of `(key, envelope)` pairs."""
    return StagedOutbox(
        topics=[topic_for(env.event_type, topic_prefix) for _, env in messages],
        keys=[key for key, _ in messages],
        event_ids=[env.event_id for _, env in messages],
        payloads=[env.to_json() for _, env in messages],
        headers=[{name: value.decode() for name, value in env.kafka_headers()} for _, env in messages],
    )


def outbox_rows(staged: StagedOutbox, ids: Sequence[int]) -> list[OutboxRow]:
    """The rows as written: unnest inserts in order and a bigserial grows within one statement, so
    the sorted ids pair with the staged rows in order."""
    return [
        OutboxRow(*row)
        for row in zip(sorted(ids), staged.topics, staged.keys, staged.payloads, staged.headers, strict=True)
    ]


async def write_outbox(
    conn: DbConnection, messages: Sequence[tuple[str, Envelope]], topic_prefix: str = ""
) -> list[OutboxRow]:
    """Queue `(key, envelope)` pairs for the relay; visible to it only if the transaction commits.

    Returns the rows as written, so that the relay can be handed them after the commit instead of
    reading them back."""
    if not messages:
        return []
    staged = stage_outbox(messages, topic_prefix)
    rows = await conn.fetch(
        _INSERT, staged.topics, staged.keys, staged.event_ids, staged.payloads, staged.headers
    )
    return outbox_rows(staged, [row["id"] for row in rows])
