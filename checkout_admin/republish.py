"""`republish [TOPIC] [--since T] [--until T] [--order ID] [--dry-run] [--json]`.

Kafka's retention, or a topic deleted and created again, loses messages the services' stores still
hold: every outbox row Kafka acknowledged stays in its producer's `outbox_history` exactly as it was
published (topic, key, envelope bytes, headers; see shared/outbox/relay.py). This sends those rows
again, in the order they were first published, so every message carries the same event id, key and
envelope, lands on the partition its key chooses, and a consumer's inbox makes the ones it already
applied harmless. Nothing is rebuilt from domain events: an envelope's event id was random and its
contents came from the command that wrote it, so only the stored row is the same message.

The messages get the time they are sent again, not the original one: with the original timestamps,
time-based retention would drop them again right away. `--dry-run` counts what would be sent.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from checkout_admin import catalogue
from checkout_admin.config import StackConfig
from checkout_admin.connections import open_connection, start_kafka
from checkout_admin.offsets import partitions_of
from checkout_admin.progress import Progress
from shared.messaging.kafka import reliable_producer

_BATCH = 500
"""Rows read and sent at a time (one round of acknowledgements)."""


@dataclass(frozen=True)
class Selection:
    """Which published messages to send again: one topic or all, a time range, one order."""

    topic: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    order_id: str | None = None

    def arguments(self, topic_prefix: str) -> list[Any]:
        """The arguments of `_SELECTED`: the topic prefix, then each filter or None (not filtered)."""
        topic = None
        if self.topic is not None:
            topic = self.topic if self.topic.startswith(topic_prefix) else topic_prefix + self.topic
        return [topic_prefix, topic, self.since, self.until, self.order_id]


_SELECTED = """
    starts_with(topic, $1)
    AND ($2::text IS NULL OR topic = $2)
    AND ($3::timestamptz IS NULL OR created_at >= $3)
    AND ($4::timestamptz IS NULL OR created_at < $4)
    AND ($5::text IS NULL OR key = $5)
"""
"""The rows of `outbox_history` a Selection names: one constant condition, every value a parameter."""
_COUNT = f"SELECT topic, count(*) AS n FROM outbox_history WHERE {_SELECTED} GROUP BY topic"  # noqa: S608
_BATCH_AFTER = (
    f"SELECT id, topic, key, payload, headers FROM outbox_history WHERE {_SELECTED} AND id > $6"  # noqa: S608
    f" ORDER BY id LIMIT {_BATCH}"
)


@dataclass(frozen=True)
class Count:
    topic: str
    service: str
    messages: int


@dataclass(frozen=True)
class RepublishReport:
    counts: list[Count]
    dry_run: bool
    seconds: float

    @property
    def messages(self) -> int:
        return sum(c.messages for c in self.counts)

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "messages": self.messages,
            "seconds": round(self.seconds, 3),
            "topics": [{"topic": c.topic, "service": c.service, "messages": c.messages} for c in self.counts],
        }


def producers_of(topic: str | None, topic_prefix: str) -> list[str]:
    """The services whose outboxes hold `topic` (every publishing service when None)."""
    producers, _ = catalogue.wiring()
    if topic is None:
        return sorted({service for services in producers.values() for service in services})
    event_type = topic.removeprefix(topic_prefix)
    found = producers.get(event_type)
    if not found:
        known = ", ".join(sorted(producers))
        raise SystemExit(f"no service publishes {event_type!r} (it comes from outside); published: {known}")
    return sorted(found)


async def _counts(conn: asyncpg.Connection, args: list[Any]) -> dict[str, int]:
    rows = await conn.fetch(_COUNT, *args)
    return {row["topic"]: row["n"] for row in rows}


async def selected_rows(conn: asyncpg.Connection, args: list[Any]) -> AsyncIterator[list[asyncpg.Record]]:
    """The selected rows in publication order, a batch at a time (keyset, no long transaction); also
    what `replay --order --from store` feeds."""
    after = 0
    while batch := await conn.fetch(_BATCH_AFTER, *args, after):
        yield batch
        after = batch[-1]["id"]


async def republish(config: StackConfig, selection: Selection, *, dry_run: bool = False) -> RepublishReport:
    """Send the selected messages of every producing service's history again (or only count them)."""
    args = selection.arguments(config.topic_prefix)
    counts: list[Count] = []
    connections: dict[str, asyncpg.Connection] = {}
    try:
        for service in producers_of(selection.topic, config.topic_prefix):
            connections[service] = await open_connection(config, service)
            found = await _counts(connections[service], args)
            counts += [Count(topic, service, n) for topic, n in sorted(found.items())]
        progress = Progress("republishing" if not dry_run else "counting", sum(c.messages for c in counts))
        if not dry_run and counts:
            await _send(config, connections, counts, args, progress)
        return RepublishReport(counts, dry_run, progress.finish())
    finally:
        for conn in connections.values():
            await conn.close()


async def _send(
    config: StackConfig,
    connections: dict[str, asyncpg.Connection],
    counts: list[Count],
    args: list[Any],
    progress: Progress,
) -> None:
    missing = [topic for topic in sorted({c.topic for c in counts}) if not await partitions_of(config, topic)]
    if missing:
        raise SystemExit(
            f"topic {', '.join(missing)} does not exist: create it (the services create their topics at "
            "start) before republishing into it"
        )
    producer = reliable_producer(config.kafka, client_id="checkout-admin-republish")
    await start_kafka(config, producer)
    sent = 0
    try:
        for service in sorted({c.service for c in counts}):
            async for batch in selected_rows(connections[service], args):
                acks = [
                    await producer.send(
                        row["topic"],
                        value=row["payload"],
                        key=row["key"].encode(),
                        headers=[(name, value.encode()) for name, value in row["headers"].items()],
                    )
                    for row in batch
                ]
                for ack in acks:
                    await ack
                    sent += 1
                    progress.update(sent)
    finally:
        await producer.stop()


def render(report: RepublishReport, *, as_json: bool) -> str:
    """A table per topic and producer for people, or the report as JSON for scripts."""
    if as_json:
        return json.dumps(report.as_json(), indent=2)
    verb = "would republish" if report.dry_run else "republished"
    lines = [f"{'topic':<40} {'service':<12} {'messages':>8}"]
    lines += [f"{c.topic:<40} {c.service:<12} {c.messages:>8}" for c in report.counts]
    lines.append(f"{verb} {report.messages} messages in {report.seconds:.2f}s")
    return "\n".join(lines)
