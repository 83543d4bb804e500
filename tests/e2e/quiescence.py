"""Waiting until a whole stack has gone quiet: nothing left in any outbox, no consumer group behind
on any topic, and no database still changing.

A test that compares every table before and after an operation must start from a state nothing is
still being written to. After a workload, messages are still relayed and consumed for a while (a
checkout nobody waits for, a refused payment's facts); a fixed sleep guesses how long that takes,
and on a busy machine guesses short.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from checkout_admin.registry import SERVICES
from shared.messaging.kafka_security import kafka_client_options
from shared.messaging.lag import sample_lag
from tests.support.polling import poll_until
from tests.support.services import RunningService
from tests.support.settling import consumer_groups

State = dict[str, dict[str, list[tuple[Any, ...]]]]


async def database_state(service: RunningService) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a service's database (its event store, outbox, inbox, parked
    messages, its own tables and its read models), sorted: the whole state a replay could touch."""
    conn = await asyncpg.connect(service.env["DATABASE_URL"])
    try:
        tables = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_type = 'BASE TABLE' AND (table_schema = 'public' OR table_schema LIKE 'proj\\_%')"
        )
        state = {}
        for t in tables:
            name = f'"{t["table_schema"]}"."{t["table_name"]}"'
            rows = await conn.fetch(f"SELECT * FROM {name}")  # noqa: S608 -- names from the catalogue
            state[name] = sorted((tuple(r) for r in rows), key=repr)
        return state
    finally:
        await conn.close()


async def consumer_lags(kafka_bootstrap_servers: str, topic_prefix: str) -> dict[str, int]:
    """Messages written but not yet applied, per consumer group of every service, read from the
    broker now (the services' own `consumer_lag` gauge is sampled only every few seconds)."""
    groups: dict[str, list[str]] = {}
    for name in SERVICES:
        groups |= consumer_groups(name, topic_prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap_servers, **kafka_client_options())
    reader = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        **kafka_client_options(),
    )
    await admin.start()
    await reader.start()
    try:
        lags = await sample_lag(admin, reader, groups)
    finally:
        await reader.stop()
        await admin.close()
    totals = dict.fromkeys(groups, 0)
    for (group, _), lag in lags.items():
        totals[group] += lag
    return totals


async def quiet_state(
    services: dict[str, RunningService], kafka_bootstrap_servers: str, topic_prefix: str, timeout: float = 120
) -> State:
    """The whole state of every service once it has stopped changing: every outbox relayed, every
    consumer group caught up, and every table as it was one poll earlier. Fails after `timeout`."""
    previous: State | None = None

    async def look() -> tuple[bool, State, dict[str, int]]:
        nonlocal previous
        state = {name: await database_state(service) for name, service in services.items()}
        lags = await consumer_lags(kafka_bootstrap_servers, topic_prefix)
        quiet = (
            state == previous
            and not any(s.get('"public"."outbox"') for s in state.values())
            and not any(lags.values())
        )
        previous = state
        return quiet, state, lags

    quiet, state, lags = await poll_until(look, lambda seen: seen[0], timeout=timeout, interval=1.0)
    unrelayed = {name: len(s.get('"public"."outbox"', [])) for name, s in state.items()}
    assert quiet, f"the stack never went quiet: outbox rows {unrelayed}, consumer lag {lags}"
    return state
