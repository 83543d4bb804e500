"""`python -m bench.replay` (`make bench-replay`): how fast a projection rebuilds and a topic replays.

1. An order event store of at least ``REPLAY_EVENTS`` (1,000,000) events in a database of its own
   (``bench_replay_order``) on the stack's PostgreSQL, written by the order service's own application
   layer (``place_order``, ``record_payment``: the real ``Order`` aggregate, unit of work, event store
   and outbox) from checkout and payment facts shaped by the public contracts, many orders per
   transaction. This is the direct command path, not HTTP: through the gateway the workload makes
   a few hundred events per second on this machine, and a million would take over an hour. Kept
   between runs: a database that already holds enough events is reused.
2. ``checkout-admin projections rebuild order orders``'s code over it: events per second.
3. ``REPLAY_MESSAGES`` (20,000) ``CartCheckedOut`` messages published to a topic of their own, replayed
   with ``checkout-admin replay``'s code into a fresh order database (every message applied through
   the consumer: inbox, aggregate, events, outbox), then once more (every message already applied).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from typing import Any
from uuid import uuid4

import asyncpg

from bench.machine import machine
from bench.order_facts import checkout, payment
from bench.settings import BENCH_DIR
from bench.stack import stack_for_bench
from checkout_admin.config import StackConfig
from checkout_admin.projections import rebuild
from checkout_admin.replay import replay
from devstack.databases import database_url
from services.order.application.payments import record_payment
from services.order.application.placing import place_order
from services.order.bootstrap import build_runtime
from services.order.settings import Settings
from shared.contracts.envelope import Envelope
from shared.contracts.integration_event import topic_for
from shared.eventstore.unit_of_work import Database
from shared.messaging.admin import ensure_topics
from shared.messaging.kafka import reliable_producer

log = logging.getLogger("bench")
STORE_DB, TOPIC_DB = "bench_replay_order", "bench_replay_topic_order"
ORDERS_PER_TRANSACTION, WRITERS = 50, 3


async def _create_database(server_url: str, name: str, *, fresh: bool) -> str:
    conn = await asyncpg.connect(server_url)
    try:
        if fresh:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not await conn.fetchval("SELECT true FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return database_url(server_url, name)


async def _order_schema(dsn: str, kafka: str) -> None:
    """The kernel's tables, created by the order service's own runtime's migration."""
    runtime = build_runtime(Settings(database_url=dsn, kafka_bootstrap_servers=kafka))
    await runtime.database.open(max_size=2)
    await runtime.database.close()


async def fill_event_store(dsn: str, wanted: int) -> dict[str, Any]:
    """Write orders through the order service's application layer until ``wanted`` events exist."""
    database = Database(dsn, producer="order")
    await database.open(max_size=WRITERS + 1)
    try:
        have = int(await database.pool.fetchval("SELECT count(*) FROM events"))
        started, written = time.perf_counter(), 0
        product_id = str(uuid4())

        async def writer() -> None:
            nonlocal written
            while have + written < wanted:
                async with database.unit_of_work() as uow:
                    for _ in range(ORDERS_PER_TRANSACTION):
                        placed = checkout(product_id)
                        await place_order(uow, placed)
                        now = placed.checked_out_at
                        for fact in payment(placed.order_id):
                            await record_payment(uow, fact, now)
                count = int(await database.pool.fetchval("SELECT count(*) FROM events")) - have
                written = max(written, count)
                rate = written / (time.perf_counter() - started)
                print(
                    f"\rwriting the event store: {have + written:,}/{wanted:,} events, {rate:,.0f}/s",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )

        if have < wanted:
            await asyncio.gather(*(writer() for _ in range(WRITERS)))
            print(file=sys.stderr)
        seconds = time.perf_counter() - started
        total = int(await database.pool.fetchval("SELECT count(*) FROM events"))
        return {
            "events": total,
            "written_now": total - have,
            "seconds": round(seconds, 1),
            "events_per_second": round((total - have) / seconds, 1) if total > have else None,
            "how": "order service application layer (place_order, record_payment) in-process, "
            f"{ORDERS_PER_TRANSACTION} orders per transaction, {WRITERS} writers",
        }
    finally:
        await database.close()


async def publish_checkouts(kafka: str, prefix: str, count: int) -> None:
    topic = topic_for("CartCheckedOut", prefix)
    await ensure_topics(kafka, [topic])
    producer = reliable_producer(kafka, client_id="bench-replay")
    await producer.start()
    try:
        product_id = str(uuid4())
        pending = []
        for _ in range(count):
            event = checkout(product_id)
            envelope = Envelope.of(
                event, aggregate_id=event.cart_id, producer="cart", correlation_id=str(uuid4())
            )
            pending.append(
                await producer.send(
                    topic, envelope.to_json(), key=event.order_id.encode(), headers=envelope.kafka_headers()
                )
            )
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def run(env: dict[str, str]) -> dict[str, Any]:
    server, kafka = env["DATABASE_URL"], env["KAFKA_BOOTSTRAP_SERVERS"]
    wanted = int(os.environ.get("REPLAY_EVENTS", "1000000"))
    messages = int(os.environ.get("REPLAY_MESSAGES", "20000"))
    results: dict[str, Any] = {"machine": machine()}

    store_dsn = await _create_database(server, STORE_DB, fresh=False)
    await _order_schema(store_dsn, kafka)
    results["event_store"] = await fill_event_store(store_dsn, wanted)
    log.info("event store: %s", results["event_store"])

    os.environ["ORDER_DATABASE_URL"] = store_dsn  # checkout-admin's documented per-service override
    report = await rebuild(StackConfig(server, kafka, ""), "order", "orders")
    results["projection_rebuild"] = {
        "projection": "order/orders",
        "events": report.events,
        "seconds": round(report.seconds, 2),
        "events_per_second": round(report.events_per_second, 1),
    }
    log.info("rebuild: %s", results["projection_rebuild"])

    prefix = f"benchreplay{uuid4().hex[:8]}."
    topic_dsn = await _create_database(server, TOPIC_DB, fresh=True)
    await _order_schema(topic_dsn, kafka)
    await publish_checkouts(kafka, prefix, messages)
    os.environ["ORDER_DATABASE_URL"] = topic_dsn
    config = StackConfig(server, kafka, prefix)
    for label in ("topic_replay_applied", "topic_replay_already_applied"):
        done = (await replay(config, ["CartCheckedOut"], "order", from_offset=0))[f"{prefix}CartCheckedOut"]
        results[label] = {
            "topic": "CartCheckedOut",
            "messages": done.messages,
            "applied": done.applied,
            "already_applied": done.already_applied,
            "seconds": round(done.seconds, 2),
            "messages_per_second": round(done.messages / done.seconds, 1) if done.seconds else None,
        }
        log.info("%s: %s", label, results[label])
    return results


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr
    )
    with stack_for_bench() as state:
        results = asyncio.run(run(state.env))
    out = BENCH_DIR / "replay_results.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    rebuilt, store = results["projection_rebuild"], results["event_store"]
    print(f"event store: {store['events']:,} order events ({store['how']})")
    print(
        f"projection rebuild order/orders: {rebuilt['events']:,} events in {rebuilt['seconds']} s ="
        f" {rebuilt['events_per_second']:,.0f} events/s (target >= 50,000)"
    )
    for label in ("topic_replay_applied", "topic_replay_already_applied"):
        r = results[label]
        print(
            f"{label.replace('_', ' ')}: {r['messages']:,} messages in {r['seconds']} s ="
            f" {r['messages_per_second']:,.0f} messages/s"
        )
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
