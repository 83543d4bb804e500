"""What a checkout costs the servers, counted by the servers: SQL statements and commits (PostgreSQL),
messages (Kafka's end offsets), events appended and Kafka requests sent (the services' counters),
read at both edges of a measured window and divided by the checkouts completed in it.

Counting at the servers rather than from the code keeps the numbers honest as the code changes, and
counts everything the stack does in the window (projections, relays, consumers, retries), which is
what a shop pays for a checkout. The load generator's own reads are not in them: its SQL runs in the
``postgres`` database (left out), it produces no Kafka message, and its Kafka requests (the watcher
of ``OrderCompleted``) are not a service's.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from bench.kafka_offsets import KafkaOffsets
from bench.pg_counters import PgCounters, PgCounts, StatementKey, durable
from bench.service_metrics import KAFKA_REQUESTS, MetricsSampler

log = logging.getLogger("bench")
PER_CHECKOUT_KEYS = (
    "sql_round_trips_per_checkout",
    "sql_nested_statements_per_checkout",
    "commits_per_checkout",
    "write_commits_per_checkout",
    "rollbacks_per_checkout",
    "wal_flushes_per_checkout",
    "kafka_messages_per_checkout",
    "kafka_requests_per_checkout",
    "kafka_requests_by_api_per_checkout",
    "events_appended_per_checkout",
)


@dataclass(frozen=True)
class CostSnapshot:
    """The servers' counters at one instant (None where a source could not be read)."""

    pg: PgCounts | None
    kafka_messages: int | None
    events_appended: dict[str, float]
    """``events_appended_total`` of each service that answered."""
    kafka_requests: dict[str, dict[str, float]] = field(default_factory=dict)
    """Each answering service's ``kafka_requests_total`` by API (``Fetch``, ``Produce``...)."""


class CostMeter:
    """PostgreSQL, Kafka and the services' counters, read together by :meth:`snapshot`."""

    def __init__(self, pg: PgCounters | None, kafka: KafkaOffsets | None, metrics: MetricsSampler) -> None:
        self._pg = pg
        self._kafka = kafka
        self._metrics = metrics
        self.postgres_settings: dict[str, str] = {}

    async def start(self) -> None:
        """Connect; a source that cannot be reached leaves its numbers out (the run is still worth it)."""
        if self._pg is not None:
            try:
                await self._pg.start()
                self.postgres_settings = await self._pg.settings()
            except Exception as exc:  # any failure: measure without it
                log.warning("PostgreSQL counters unavailable: %s", exc)
                self._pg = None
        if self._kafka is not None:
            try:
                await self._kafka.start()
            except Exception as exc:
                log.warning("Kafka offsets unavailable: %s", exc)
                self._kafka = None

    async def aclose(self) -> None:
        if self._pg is not None:
            await self._pg.aclose()
        if self._kafka is not None:
            await self._kafka.aclose()
        await self._metrics.aclose()

    @property
    def durable(self) -> bool:
        return durable(self.postgres_settings)

    async def _pg_counts(self) -> PgCounts | None:
        if self._pg is None:
            return None
        try:
            return await self._pg.counts()
        except Exception as exc:
            log.warning("PostgreSQL counters not read: %s", exc)
            return None

    async def _kafka_total(self) -> int | None:
        if self._kafka is None:
            return None
        try:
            return await self._kafka.total()
        except Exception as exc:
            log.warning("Kafka offsets not read: %s", exc)
            return None

    async def snapshot(self) -> CostSnapshot:
        pg, kafka, metrics = await asyncio.gather(
            self._pg_counts(), self._kafka_total(), self._metrics.scrape()
        )
        return CostSnapshot(
            pg,
            kafka,
            {name: values["events_appended_total"] for name, values in metrics.items()},
            {name: requests_by_api(values) for name, values in metrics.items()},
        )


def requests_by_api(values: dict[str, float]) -> dict[str, float]:
    """``kafka_requests_total:Fetch`` and the like, as ``{"Fetch": n}``."""
    prefix = f"{KAFKA_REQUESTS}:"
    return {key.removeprefix(prefix): v for key, v in values.items() if key.startswith(prefix)}


def _ratio(delta: float | None, completed: int) -> float | None:
    return None if delta is None or completed <= 0 else round(delta / completed, 1)


def _grown(earlier: float, now: float) -> float:
    """A service counter's growth; one that went down belongs to a service that restarted, counted
    from zero."""
    return now - earlier if now >= earlier else now


def _events(before: dict[str, float], after: dict[str, float]) -> float | None:
    common = before.keys() & after.keys()
    if not common:
        return None
    return sum(_grown(before[n], after[n]) for n in common)


def _requests_by_api(
    before: dict[str, dict[str, float]], after: dict[str, dict[str, float]]
) -> dict[str, float] | None:
    """The Kafka requests the services that answered both times sent in between, by API, most first."""
    common = [name for name in after if name in before and after[name]]
    if not common:
        return None
    grown: dict[str, float] = {}
    for name in common:
        for api, count in after[name].items():
            grown[api] = grown.get(api, 0.0) + _grown(before[name].get(api, 0.0), count)
    return dict(sorted(((a, c) for a, c in grown.items() if c > 0), key=lambda item: (-item[1], item[0])))


STATEMENTS_LISTED = 60
"""The breakdown lists this many statements, the most frequent first."""


def statements_per_checkout(
    before: dict[StatementKey, int], after: dict[StatementKey, int], completed: int
) -> list[dict[str, Any]]:
    """Each statement's calls over a window per checkout, most frequent first: where the round trips go.
    A statement evicted from ``pg_stat_statements`` in between counts from zero."""
    if completed <= 0:
        return []
    grown = {key: calls - before.get(key, 0) for key, calls in after.items()}
    rows: list[dict[str, Any]] = [
        {
            "database": key.database,
            "toplevel": key.toplevel,
            "per_checkout": round(delta / completed, 2),
            "query": " ".join(key.query.split()),
        }
        for key, delta in grown.items()
        if delta > 0
    ]
    rows.sort(key=lambda r: (-r["per_checkout"], r["database"], r["query"]))
    return rows[:STATEMENTS_LISTED]


def per_checkout(before: CostSnapshot, after: CostSnapshot, completed: int) -> dict[str, Any]:
    """The counters' growth over a window, per checkout completed in it (None where not measured)."""
    pg_before, pg_after = before.pg, after.pg
    statements = nested = commits = writes = rollbacks = wal_syncs = None
    if pg_before is not None and pg_after is not None:
        commits = pg_after.commits - pg_before.commits
        if pg_before.next_xid is not None and pg_after.next_xid is not None:
            writes = pg_after.next_xid - pg_before.next_xid
        if pg_before.wal_syncs is not None and pg_after.wal_syncs is not None:
            wal_syncs = pg_after.wal_syncs - pg_before.wal_syncs
        rollbacks = pg_after.rollbacks - pg_before.rollbacks
        if pg_before.statements is not None and pg_after.statements is not None:
            statements = pg_after.statements - pg_before.statements
        if pg_before.nested_statements is not None and pg_after.nested_statements is not None:
            nested = pg_after.nested_statements - pg_before.nested_statements
    kafka = (
        after.kafka_messages - before.kafka_messages
        if before.kafka_messages is not None and after.kafka_messages is not None
        else None
    )
    breakdown = {}
    if pg_before is not None and pg_after is not None and pg_after.by_statement is not None:
        breakdown["statements"] = statements_per_checkout(
            pg_before.by_statement or {}, pg_after.by_statement, completed
        )
    requests = _requests_by_api(before.kafka_requests, after.kafka_requests)
    all_requests = None if requests is None else sum(requests.values())
    return {
        **breakdown,
        "sql_round_trips_per_checkout": _ratio(statements, completed),
        "sql_nested_statements_per_checkout": _ratio(nested, completed),
        "commits_per_checkout": _ratio(commits, completed),
        "write_commits_per_checkout": _ratio(writes, completed),
        "rollbacks_per_checkout": _ratio(rollbacks, completed),
        "wal_flushes_per_checkout": _ratio(wal_syncs, completed),
        "kafka_messages_per_checkout": _ratio(kafka, completed),
        "kafka_requests_per_checkout": _ratio(all_requests, completed),
        "kafka_requests_by_api_per_checkout": (
            None
            if requests is None or completed <= 0
            else {api: round(count / completed, 2) for api, count in requests.items()}
        ),
        "events_appended_per_checkout": _ratio(
            _events(before.events_appended, after.events_appended), completed
        ),
    }
