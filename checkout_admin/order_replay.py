"""`replay --order ID --to SERVICE [--from kafka|store] [TOPIC ...] [--dry-run] [--json]`.

One service missed one order (rows lost by hand, a database restored from before it, a handler bug
fixed since): feeding that order's messages alone through the service's own consumer code, as
`replay` feeds a topic, repairs it without reading every topic's history into it. Every message of
an order's life is keyed by the order id (the catalogue's "key" column), so the order's messages
are those with its key, on every topic the service consumes or on the topics named.

They come from Kafka (each topic read from the first message it still holds, kept by key) or, with
`--from store`, from the producing services' `outbox_history`, selected as `republish --order`
selects them, which still holds them once Kafka's retention has dropped them (a topic published
from outside the platform is in no store: left out, and named, unless asked for). They are fed in the
order they were published: a partition's in offset order, a producer's in publication order, and
across those by when they were stamped. The inbox makes what the service already applied a no-op.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from checkout_admin import catalogue, republish
from checkout_admin.config import StackConfig
from checkout_admin.connections import open_connection
from checkout_admin.output import Column, emit, emit_object
from checkout_admin.progress import Progress
from checkout_admin.replay import Outcome, as_message, full_topic, service_feed, topic_history
from shared.contracts.envelope import Envelope
from shared.messaging.dead_letters import FailedMessage

Source = Literal["kafka", "store"]
SOURCES: tuple[Source, ...] = ("kafka", "store")

Stamped = tuple[float, FailedMessage]
"""A message and when it was published (seconds since the epoch), to merge sequences by."""

_COLUMNS = (
    Column("topic", 32),
    Column("messages", 8, right=True),
    Column("already_applied", 15, right=True),
    Column("applied", 7, right=True),
)


@dataclass
class TopicCount:
    topic: str
    messages: int = 0
    already_applied: int = 0
    applied: int = 0

    def add(self, outcome: Outcome) -> None:
        self.messages += 1
        self.already_applied += outcome is Outcome.ALREADY_APPLIED
        self.applied += outcome is Outcome.APPLIED


@dataclass(frozen=True)
class OrderReplayReport:
    order_id: str
    service: str
    source: Source
    dry_run: bool
    counts: list[TopicCount] = field(default_factory=list)
    seconds: float = 0.0
    unstored: list[str] = field(default_factory=list)
    """Topics consumed but published from outside, so in no store: not read `--from store`."""

    @property
    def messages(self) -> int:
        return sum(c.messages for c in self.counts)

    @property
    def already_applied(self) -> int:
        return sum(c.already_applied for c in self.counts)

    @property
    def applied(self) -> int:
        return sum(c.applied for c in self.counts)

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "topic": c.topic,
                "messages": c.messages,
                "already_applied": c.already_applied,
                "applied": c.applied,
            }
            for c in self.counts
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "service": self.service,
            "source": self.source,
            "dry_run": self.dry_run,
            "messages": self.messages,
            "already_applied": self.already_applied,
            "applied": self.applied,
            "seconds": round(self.seconds, 3),
            "topics": self.rows(),
            "unstored": self.unstored,
        }

    def summary(self) -> str:
        head = f"order {self.order_id} into {self.service} from {self.source}: {self.messages} messages"
        new = self.messages - self.already_applied
        if self.dry_run:
            return f"{head}, {self.already_applied} already applied, would apply {new}"
        text = f"{head}, {self.already_applied} already applied, applied {self.applied}"
        if new > self.applied:
            text += f"; {new - self.applied} parked or dead-lettered (see `checkout-admin dlq list`)"
        text += f" in {self.seconds:.2f}s"
        if self.unstored:
            text += (
                f"\nnot read: {', '.join(self.unstored)} (published from outside, in no store; --from kafka)"
            )
        return text


async def replay_order(
    config: StackConfig,
    order_id: str,
    service: str,
    *,
    source: Source = "kafka",
    topics: Iterable[str] = (),
    dry_run: bool = False,
) -> OrderReplayReport:
    """Feed the order's messages on the chosen topics (all the service consumes when none) into the
    service's consumers, in publication order; in a dry run, only count them."""
    named = [full_topic(t, config.topic_prefix) for t in topics]
    async with service_feed(config, service, named or None) as feed:
        read: list[str] = feed.topics
        unstored: list[str] = []
        if source == "store":
            read, unstored = _stored(feed.topics, config.topic_prefix, named=bool(named))
            messages = await _from_store(config, read, order_id)
        else:
            messages = await _from_kafka(config, read, order_id)
        counts = {topic: TopicCount(topic) for topic in read}
        progress = Progress(f"replaying order {order_id} into {service}", len(messages))
        for done, message in enumerate(messages, 1):
            counts[message.topic].add(await feed.feed(message, dry_run=dry_run))
            progress.update(done)
        seconds = progress.finish()
        return OrderReplayReport(order_id, service, source, dry_run, list(counts.values()), seconds, unstored)


def _stored(topics: list[str], topic_prefix: str, *, named: bool) -> tuple[list[str], list[str]]:
    """The topics some service's store holds, and those published from outside (a webhook's facts):
    refused when named, left out otherwise."""
    producers, _ = catalogue.wiring()
    stored = [t for t in topics if producers.get(t.removeprefix(topic_prefix))]
    outside = [t for t in topics if t not in stored]
    if named and outside:
        republish.producers_of(outside[0], topic_prefix)  # refuses, saying what is published
    return stored, outside


def _in_publication_order(sequences: Iterable[list[Stamped]]) -> list[FailedMessage]:
    """Sequences each already in its own order, merged by time without reordering any of them."""
    return [message for _, message in heapq.merge(*sequences, key=lambda stamped: stamped[0])]


async def _from_kafka(config: StackConfig, topics: list[str], order_id: str) -> list[FailedMessage]:
    """The order's messages on `topics`, from every partition's first message still held to its end."""
    key = order_id.encode()
    partitions: dict[tuple[str, int], list[Stamped]] = {}
    async with topic_history(config, topics, skip_missing=True) as history:  # no topic: no message
        progress = Progress(f"reading {len(topics)} topics for order {order_id}", history.total)
        read = 0
        async for record in history.records():
            read += 1
            if record.key == key:
                found = partitions.setdefault((record.topic, record.partition), [])
                found.append((record.timestamp / 1000, as_message(record)))
            progress.update(read)
        progress.finish()
    return _in_publication_order(partitions.values())


async def _from_store(config: StackConfig, topics: list[str], order_id: str) -> list[FailedMessage]:
    """The order's messages on `topics` in their producers' `outbox_history`, as Kafka received them."""
    wanted = set(topics)
    producers = sorted({p for topic in topics for p in republish.producers_of(topic, config.topic_prefix)})
    selection = republish.Selection(order_id=order_id).arguments(config.topic_prefix)
    published: list[list[Stamped]] = []
    for producer in producers:
        conn = await open_connection(config, producer)
        try:
            found = [
                (_stamp(row["payload"]), _stored_message(row))
                async for batch in republish.selected_rows(conn, selection)
                for row in batch
                if row["topic"] in wanted
            ]
        finally:
            await conn.close()
        published.append(found)
    return _in_publication_order(published)


def _stored_message(row: Any) -> FailedMessage:
    """An `outbox_history` row as the consumers take a message (no partition or offset: -1)."""
    headers = tuple((name, value.encode()) for name, value in row["headers"].items())
    return FailedMessage(row["topic"], -1, -1, row["key"].encode(), bytes(row["payload"]), headers)


def _stamp(payload: bytes) -> float:
    """When the envelope says its event occurred (a payload that is no envelope: first)."""
    try:
        return Envelope.from_json(payload).occurred_at.timestamp()
    except ValueError:
        return 0.0


def show(report: OrderReplayReport, *, as_json: bool) -> None:
    """A row per topic and a summary for people, or the report as JSON for scripts."""
    if as_json:
        emit_object(report.as_json(), "", as_json=True)
        return
    emit(report.rows(), _COLUMNS, as_json=False, footer=report.summary())
