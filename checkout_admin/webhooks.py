"""`webhooks list | retry`: the payment service's log of incoming Stripe webhooks, and applying a
recorded event again.

The log is the payment database's `webhook_deliveries` (written by the service, see
`services.payment.adapters.webhook_deliveries`). `retry` applies a verified event's kept body through
the service's own code (`apply_and_record`, hence `apply_gateway_event` and its inbox) against the
payment database, while the service runs, and records the attempt as a delivery of its own that
names the one it retries: an event applied since (by Stripe's redelivery or an earlier retry) comes
out `duplicate` and changes nothing. The outbox rows it writes are published by the running
service's relay, which reads the table for rows committed by other processes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import orjson

from checkout_admin.config import StackConfig
from checkout_admin.connections import open_connection, open_database
from checkout_admin.registry import SERVICES
from services.payment.adapters import webhook_deliveries as log
from services.payment.adapters.webhook_deliveries import Outcome, RecordedDelivery
from services.payment.adapters.webhook_receiving import Handled, apply_and_record
from shared.contracts.envelope import utc_now

SERVICE = "payment"
_NO_TABLE = (
    "the payment database has no webhook_deliveries table yet: the payment service creates it when it "
    "starts (run this version of it once)"
)


@dataclass(frozen=True)
class Retried:
    """One retry: the delivery retried and what became of it this time."""

    original: RecordedDelivery
    handled: Handled
    error: str | None = None
    """The apply raised (it is recorded as failed): its error."""

    def row(self) -> dict[str, object]:
        return {
            "delivery": self.handled.delivery,
            "retry_of": self.original.delivery,
            "event_id": self.original.event_id,
            "type": self.original.event_type,
            "outcome": self.handled.outcome.value,
            "changed": self.handled.changed,
            "detail": self.error or self.handled.detail,
        }


async def deliveries(
    config: StackConfig, *, outcome: Outcome | None, since: datetime | None, limit: int
) -> list[RecordedDelivery]:
    """The newest `limit` recorded deliveries the filters select, oldest first."""
    conn = await open_connection(config, SERVICE)
    try:
        return await log.listed(conn, outcome=outcome, since=since, limit=limit)
    except asyncpg.UndefinedTableError:
        raise SystemExit(_NO_TABLE) from None
    finally:
        await conn.close()


async def chosen(config: StackConfig, delivery: int | None) -> list[RecordedDelivery]:
    """The delivery numbered `delivery`, or (None) every failed event no later delivery settled."""
    conn = await open_connection(config, SERVICE)
    try:
        if delivery is None:
            return await log.unsettled_failures(conn)
        found = await log.find(conn, delivery)
    except asyncpg.UndefinedTableError:
        raise SystemExit(_NO_TABLE) from None
    finally:
        await conn.close()
    if found is None:
        raise SystemExit(f"no webhook delivery {delivery} (use the number `webhooks list` prints)")
    if not found.retryable:
        why = "its signature did not hold" if not found.signature_ok else "its body was not kept whole"
        raise SystemExit(f"webhook delivery {delivery} cannot be retried: {why}")
    return [found]


async def retry(
    config: StackConfig,
    chosen: list[RecordedDelivery],
    on_each: Callable[[Retried], None] | None = None,
) -> list[Retried]:
    """Apply each chosen delivery's event again, one after the other, each recorded as it goes."""
    runtime = SERVICES[SERVICE].build(config.database_url(SERVICE), config.kafka, config.topic_prefix)
    await open_database(config, SERVICE, runtime.database, max_size=2)
    done: list[Retried] = []
    try:
        for original in chosen:
            assert original.payload is not None, "a retryable delivery keeps its body"
            event = orjson.loads(original.payload)
            try:
                handled = await apply_and_record(
                    runtime.database,
                    event,
                    original.payload,
                    utc_now(),
                    configured=True,
                    retry_of=original.delivery,
                )
                retried = Retried(original, handled)
            except Exception as exc:  # recorded as failed by apply_and_record; the next one still goes
                retried = Retried(
                    original, Handled(Outcome.FAILED, False, None), f"{type(exc).__name__}: {exc}"
                )
            done.append(retried)
            if on_each is not None:
                on_each(retried)
    finally:
        await runtime.database.close()
    return done
