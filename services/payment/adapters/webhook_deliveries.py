"""The log of incoming gateway webhooks (`webhook_deliveries`): one row per delivery, whatever
became of it, so an operator can see what Stripe sent and retry one whose apply failed.

Each row is written in a statement of its own after the delivery was handled: a failed apply has
rolled its transaction back, and its row must still land. Recording is book-keeping, never the
answer: a row that cannot be written is logged and the delivery answered as it would have been.

Only a verified event's body is kept whole (to retry it from); the body of a delivery whose
signature did not hold is the sender's choice of bytes, so only a short prefix of it is kept, and
only the newest `WEBHOOK_REJECTED_KEPT` of those rows: anyone can send them, and a flood of forged
deliveries must not grow the table without bound. Verified deliveries come only from Stripe and
grow with the payments, like the event store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import asyncpg
import orjson

from shared.eventstore.database import Executor

log = logging.getLogger(__name__)

UNVERIFIED_PREFIX_BYTES = 512
"""How much of a rejected delivery's body is kept: enough to see what it claimed to be."""
VERIFIED_PAYLOAD_BYTES = 1_048_576
"""A verified event larger than this (Stripe's are a few kB) keeps a prefix and cannot be retried."""
_CLAIM_PARSE_BYTES = 65_536
_CLAIM_CHARS = 255
_DETAIL_CHARS = 2000


class Outcome(StrEnum):
    APPLIED = "applied"
    """Verified and merged into its transaction (`changed` says whether that changed anything)."""
    DUPLICATE = "duplicate"
    """Verified, and applied before (its id is in the inbox)."""
    IGNORED = "ignored"
    """Verified, but not about one of our payments, of a type we do not handle, or the gateway is
    not configured."""
    REJECTED = "rejected"
    """The signature (or the body it signs) did not hold; answered 400."""
    FAILED = "failed"
    """Verified, but applying it raised (answered 5xx, so Stripe delivers it again)."""


@dataclass(frozen=True)
class Delivery:
    """One delivery as it is recorded."""

    received_at: datetime
    gateway: str
    signature_ok: bool
    outcome: Outcome
    payload: bytes
    event_id: str | None = None
    event_type: str | None = None
    changed: bool = False
    detail: str | None = None
    retry_of: int | None = None


_PRUNE_REJECTED = """
DELETE FROM webhook_deliveries WHERE outcome = 'rejected' AND delivery <= (
    SELECT delivery FROM webhook_deliveries WHERE outcome = 'rejected'
    ORDER BY delivery DESC OFFSET $1 LIMIT 1
)
"""
_RECORD = """
INSERT INTO webhook_deliveries
    (received_at, gateway, event_id, event_type, signature_ok, outcome, changed, detail, payload,
     payload_whole, retry_of)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING delivery
"""


def kept_payload(delivery: Delivery) -> tuple[bytes, bool]:
    """The bytes kept of the body, and whether that is all of it (only then can it be retried)."""
    verified = delivery.signature_ok and delivery.outcome is not Outcome.REJECTED
    limit = VERIFIED_PAYLOAD_BYTES if verified else UNVERIFIED_PREFIX_BYTES
    kept = delivery.payload[:limit]
    return kept, verified and len(kept) == len(delivery.payload)


def claimed(payload: bytes) -> tuple[str | None, str | None]:
    """The event id and type the body says it is (None where it cannot be read), cut short: for a
    rejected delivery these are the sender's claims, shown to say what was refused."""
    if len(payload) > _CLAIM_PARSE_BYTES:
        return None, None
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(event, dict):
        return None, None
    return _short(event.get("id")), _short(event.get("type"))


def _short(value: Any) -> str | None:
    return value[:_CLAIM_CHARS] if isinstance(value, str) else None


async def record(conn: Executor, delivery: Delivery, *, rejected_kept: int = 1000) -> int | None:
    """Write the delivery's row; its number, or None (logged) when the database refused it. A
    rejected delivery also drops the rejected rows older than the newest `rejected_kept`."""
    payload, whole = kept_payload(delivery)
    detail = None if delivery.detail is None else delivery.detail[:_DETAIL_CHARS]
    try:
        number: int = await conn.fetchval(
            _RECORD,
            delivery.received_at,
            delivery.gateway,
            delivery.event_id,
            delivery.event_type,
            delivery.signature_ok,
            delivery.outcome.value,
            delivery.changed,
            detail,
            payload,
            whole,
            delivery.retry_of,
        )
        if delivery.outcome is Outcome.REJECTED:
            await conn.execute(_PRUNE_REJECTED, rejected_kept)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        log.error(
            "could not record the %s webhook delivery %s (%s): %r",
            delivery.gateway,
            delivery.event_id,
            delivery.outcome.value,
            exc,
        )
        return None
    return number


@dataclass(frozen=True)
class RecordedDelivery:
    """A row as `checkout-admin webhooks` reads it back (the kept body only when asked for)."""

    delivery: int
    received_at: datetime
    gateway: str
    event_id: str | None
    event_type: str | None
    signature_ok: bool
    outcome: Outcome
    changed: bool
    detail: str | None
    payload_whole: bool
    retry_of: int | None
    settled_by: int | None
    """For a failure: the later delivery of the same event that applied it, or found it applied."""
    payload: bytes | None = None

    @property
    def retryable(self) -> bool:
        return self.signature_ok and self.payload_whole and self.outcome is not Outcome.REJECTED

    def row(self) -> dict[str, Any]:
        """The delivery as `webhooks list` shows it (and prints it with `--json`)."""
        return {
            "delivery": self.delivery,
            "received_at": self.received_at.isoformat(),
            "gateway": self.gateway,
            "event_id": self.event_id,
            "type": self.event_type,
            "signature_ok": self.signature_ok,
            "outcome": self.outcome.value,
            "changed": self.changed,
            "detail": self.detail,
            "retry_of": self.retry_of,
            "settled_by": self.settled_by,
            "retryable": self.retryable,
        }


_COLUMNS = """
    d.delivery, d.received_at, d.gateway, d.event_id, d.event_type, d.signature_ok, d.outcome, d.changed,
    d.detail, d.payload_whole, d.retry_of,
    CASE WHEN d.outcome = 'failed' THEN (
        SELECT min(later.delivery) FROM webhook_deliveries later
        WHERE later.gateway = d.gateway AND later.event_id = d.event_id AND later.delivery > d.delivery
          AND later.outcome IN ('applied', 'duplicate', 'ignored')
    ) END AS settled_by
"""
_LISTED = f"""
SELECT {_COLUMNS} FROM webhook_deliveries d
WHERE ($1::text IS NULL OR d.outcome = $1) AND ($2::timestamptz IS NULL OR d.received_at >= $2)
ORDER BY d.delivery DESC LIMIT $3
"""  # noqa: S608 - constant text, every value a parameter
_ONE = f"SELECT {_COLUMNS}, d.payload FROM webhook_deliveries d WHERE d.delivery = $1"  # noqa: S608
_UNSETTLED = f"""
SELECT * FROM (
    SELECT DISTINCT ON (d.gateway, d.event_id) {_COLUMNS}, d.payload FROM webhook_deliveries d
    WHERE d.outcome = 'failed' AND d.signature_ok AND d.payload_whole
    ORDER BY d.gateway, d.event_id, d.delivery DESC
) latest WHERE latest.settled_by IS NULL ORDER BY latest.delivery
"""  # noqa: S608


def _recorded(row: asyncpg.Record) -> RecordedDelivery:
    values = dict(row)
    values["outcome"] = Outcome(values["outcome"])
    if values.get("payload") is not None:
        values["payload"] = bytes(values["payload"])
    return RecordedDelivery(**values)


async def listed(
    conn: Executor, *, outcome: Outcome | None, since: datetime | None, limit: int
) -> list[RecordedDelivery]:
    """The newest `limit` deliveries the filters select (None: not filtered), oldest first."""
    rows = await conn.fetch(_LISTED, None if outcome is None else outcome.value, since, limit)
    return [_recorded(r) for r in reversed(rows)]


async def find(conn: Executor, delivery: int) -> RecordedDelivery | None:
    row = await conn.fetchrow(_ONE, delivery)
    return None if row is None else _recorded(row)


async def unsettled_failures(conn: Executor) -> list[RecordedDelivery]:
    """Each verified event whose latest failure no later delivery has settled, once (its latest)."""
    return [_recorded(r) for r in await conn.fetch(_UNSETTLED)]
