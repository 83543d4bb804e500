"""`checkout-admin republish` against the five services as processes (real Kafka and PostgreSQL):

- once a topic's start is dropped as retention drops it (DeleteRecords: the broker checks retention
  only every five minutes), republishing fills it again; the live consumers take the copies as
  no-ops (no table of any service changes), and a shadow order service (a process of its own:
  empty database, a fresh consumer group, no outbox relay) fed by the topic from its earliest
  offset ends with the live `orders` read model, column for column, and publishes nothing;
- a topic deleted and created again empty is filled from its producer's outbox history with the
  very messages it held (same keys, envelopes, event ids, headers, partitions and order); replaying
  it into every consumer from offset 0 then changes no table of any service;
- `--dry-run` counts per topic and sends nothing; `--order` sends only that order's messages.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic, RecordsToDelete
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from services.order.bootstrap import PUBLISHES as ORDER_PUBLISHES
from shared.messaging.kafka_security import kafka_client_options
from tests.e2e.operator import run_admin
from tests.e2e.quiescence import database_state, quiet_state
from tests.e2e.shop import (
    authorize_and_capture,
    checkout,
    eventually,
    managed_product,
    order_state,
    placed_state,
)
from tests.support.kafka import records_up_to_now
from tests.support.polling import poll_until
from tests.support.services import RunningService, start_service
from tests.support.settling import consumer_groups, end_offsets, services_settled, settled

pytestmark = pytest.mark.slow

TOPIC = "CartCheckedOut"
SHADOW_SUFFIX = ".shadow"
Message = tuple[int, bytes | None, bytes, tuple[tuple[str, bytes], ...]]


@pytest.fixture(scope="module")
async def workload(api, services, kafka_bootstrap_servers, topic_prefix) -> dict[str, Any]:
    """Four checkouts, two of them paid and captured (their orders complete); then a quiet stack."""
    product = await managed_product(api, 20)
    orders = [await checkout(api, product, quantity) for quantity in (1, 2, 1, 3)]
    for order in orders[:2]:
        await placed_state(api, order["id"])
        await authorize_and_capture(api, order["id"])
    for order in orders[:2]:
        await eventually(
            lambda o=order: order_state(api, o["id"]), lambda s: s[:2] == ("complete", "paid"), "paid"
        )
    for order in orders[2:]:
        await placed_state(api, order["id"])
    await quiet_state(services, kafka_bootstrap_servers, topic_prefix)
    return {"paid": [o["id"] for o in orders[:2]], "unpaid": [o["id"] for o in orders[2:]]}


async def messages(kafka: str, topic: str) -> list[Message]:
    """Every message of `topic` as a consumer sees it: partition, key, value and headers, in order.
    The headers sorted: their order means nothing, and the relay itself sends a row read back from
    the table (jsonb) in another order than one it was handed in process."""
    return [
        (r.partition, r.key, r.value, tuple(sorted((k, bytes(v)) for k, v in r.headers or ())))
        for r in await records_up_to_now(kafka, topic)
    ]


async def delete_and_recreate(kafka: str, topic: str, partitions: int) -> None:
    """Delete `topic` and create it again, empty, with as many partitions as it had."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka, client_id="republish-test", **kafka_client_options())
    await admin.start()
    try:
        await admin.delete_topics([topic])

        async def gone() -> bool:
            return topic not in set(await admin.list_topics())

        await poll_until(gone, bool, timeout=60)
        replication = min(3, len((await admin.describe_cluster())["brokers"]))

        async def created() -> bool:
            try:
                await admin.create_topics([NewTopic(topic, partitions, replication)])
            except TopicAlreadyExistsError:
                pass  # a subscribed consumer's metadata request created it first, empty as well
            except KafkaError:  # still being deleted: try again
                return False
            return topic in set(await admin.list_topics())

        assert await poll_until(created, bool, timeout=60), f"{topic} was not created again"
    finally:
        await admin.close()


def consumers_of(topic: str, topic_prefix: str) -> list[str]:
    return sorted(
        name
        for name in ("cart", "order", "payment", "inventory", "fulfillment")
        if any(topic_prefix + topic in topics for topics in consumer_groups(name, topic_prefix).values())
    )


async def drop_log_start(
    kafka: str, topic: str
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """Drop every message now in `topic`'s log, as retention drops a log's start: DeleteRecords moves
    each partition's log start offset to its end. (The broker checks retention every five minutes
    by default, too slow for a test; what is left is the same.) The log start and end offsets after."""
    ends = await end_offsets(kafka, [topic])
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka, client_id="republish-test", **kafka_client_options())
    await admin.start()
    try:
        await admin.delete_records({tp: RecordsToDelete(offset) for tp, offset in ends.items()})
    finally:
        await admin.close()
    reader = AIOKafkaConsumer(
        bootstrap_servers=kafka, group_id=None, enable_auto_commit=False, **kafka_client_options()
    )
    await reader.start()
    try:
        return dict(await reader.beginning_offsets(list(ends))), ends
    finally:
        await reader.stop()


async def read_model(dsn: str) -> dict[str, dict[str, Any]]:
    """The order service's `orders` read model, row by row, by order id."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch('SELECT * FROM "proj_orders".orders')
    finally:
        await conn.close()
    return {r["id"]: dict(r) for r in rows}


@asynccontextmanager
async def shadow_order_service(
    live: RunningService, postgres: Any, work: Path
) -> AsyncIterator[RunningService]:
    """A second order-service process as a shadow: the live one's settings, but its own empty
    database, its consumer group `<prefix>order.shadow` and no outbox relay. Stopped on leaving."""
    database = f"order_shadow_{uuid4().hex[:8]}"
    await postgres.create_database(database)
    env = {k: v for k, v in live.env.items() if k != "HTTP_PORT"} | {
        "DATABASE_URL": postgres.dsn(database),
        "CONSUMER_GROUP_SUFFIX": SHADOW_SUFFIX,
        "OUTBOX_RELAY": "off",
    }
    shadow = await start_service("services.order", env, work)
    try:
        yield shadow
    finally:
        shadow.stop()


async def test_a_topic_whose_start_was_dropped_is_republished_and_a_shadow_group_rebuilds_the_read_model(
    services,
    workload,
    admin_env,
    kafka_bootstrap_servers,
    topic_prefix,
    postgres,
    tmp_path_factory,
):
    """Republished after its start was dropped, the topic feeds a shadow order service (its own
    database and consumer group, from the earliest offset): its `orders` read model ends equal to
    the live one, column for column. The unpaid orders were made by CartCheckedOut alone; the paid
    ones also by the live payment topics, which the shadow reads from their start too."""
    kafka, full = kafka_bootstrap_servers, topic_prefix + TOPIC
    original = await messages(kafka, full)
    before = {name: await database_state(service) for name, service in services.items()}
    starts, ends = await drop_log_start(kafka, full)
    # The marker that the start was dropped: each log starts at its end, 4 messages past offset 0.
    assert starts == ends and sum(starts.values()) == 4, (starts, ends)
    assert await messages(kafka, full) == []

    out = await run_admin(admin_env, "republish", TOPIC)
    assert "republished 4 messages" in out, out
    assert sorted(await messages(kafka, full), key=repr) == sorted(original, key=repr)
    # The live consumers read the copies (their committed offsets pass them: the marker), as no-ops.
    await services_settled(kafka, topic_prefix, services.values())
    for name, service in services.items():
        after = await database_state(service)
        changed = [table for table in before[name] if after.get(table) != before[name][table]]
        assert not changed, f"the copies changed {name}: {changed}"

    live_topics = [topic_prefix + t for t in ORDER_PUBLISHES]
    published_before = await end_offsets(kafka, live_topics)
    [(live_group, topics)] = consumer_groups("order", topic_prefix).items()
    work = tmp_path_factory.mktemp("order-shadow")
    async with shadow_order_service(services["order"], postgres, work) as shadow:
        dsn = shadow.env["DATABASE_URL"]
        # The marker: the shadow's own group has committed past the end of every topic it reads.
        await settled(kafka, outboxes=[], groups={live_group + SHADOW_SUFFIX: topics}, timeout=120)
        live = await read_model(services["order"].env["DATABASE_URL"])
        assert sorted(live) == sorted(workload["paid"] + workload["unpaid"]), sorted(live)

        async def shadow_read_model() -> dict[str, dict[str, Any]]:
            return await read_model(dsn)

        # Its projection follows its consumer; a payment read before its checkout waits parked.
        shadowed: dict[str, dict[str, Any]] = await poll_until(shadow_read_model, live.__eq__, timeout=120)
        assert shadowed == live
        conn = await asyncpg.connect(dsn)  # what it derived stays in its outbox, unpublished
        try:
            unpublished = await conn.fetch("SELECT DISTINCT topic FROM outbox")
        finally:
            await conn.close()
    assert {topic_prefix + "OrderCreated"} <= {r["topic"] for r in unpublished}, unpublished
    assert await end_offsets(kafka, live_topics) == published_before
    assert await read_model(services["order"].env["DATABASE_URL"]) == live


@pytest.fixture(scope="module")
async def republished(services, workload, admin_env, kafka_bootstrap_servers, topic_prefix) -> dict[str, Any]:
    """The topic's messages and every service's tables, then the topic deleted, created again empty
    and republished from its producer's store."""
    kafka, full = kafka_bootstrap_servers, topic_prefix + TOPIC
    original = await messages(kafka, full)
    assert len(original) == 4, original
    partitions = len(await end_offsets(kafka, [full]))
    assert partitions >= 1
    before = {name: await database_state(service) for name, service in services.items()}

    await delete_and_recreate(kafka, full, partitions)
    assert await messages(kafka, full) == []

    out = await run_admin(admin_env, "republish", TOPIC)
    assert "republished 4 messages" in out, out
    return {"original": original, "partitions": partitions, "before": before}


async def test_a_deleted_topic_republished_from_the_store_and_replayed_changes_no_table(
    services, republished, admin_env, kafka_bootstrap_servers, topic_prefix
):
    kafka, full = kafka_bootstrap_servers, topic_prefix + TOPIC
    original, before = republished["original"], republished["before"]
    # The same messages: key (so partition), envelope bytes (so event id) and headers, in order.
    assert sorted(await messages(kafka, full), key=repr) == sorted(original, key=repr)
    for partition in range(republished["partitions"]):
        assert [m for m in await messages(kafka, full) if m[0] == partition] == [
            m for m in original if m[0] == partition
        ]

    consumers = consumers_of(TOPIC, topic_prefix)
    assert "order" in consumers, consumers
    for service in consumers:
        replayed = await run_admin(admin_env, "replay", TOPIC, "--to", service, "--from-offset", "0")
        assert replayed.startswith("4 messages read, 4 already applied"), (service, replayed)
    # Each replay ran to the topic's end before it printed its count: that is the marker. (The live
    # consumers lost the topic at the rebalance its deletion caused, and the broker dropped their
    # groups' offsets with it; they take it up again at their next metadata refresh, every five
    # minutes in aiokafka, which this test does not wait for: no lag check is possible here.)
    for name, service in services.items():
        after = await database_state(service)
        changed = [table for table in before[name] if after.get(table) != before[name][table]]
        assert not changed, f"republish and replay changed {name}: {changed}"


async def test_dry_run_counts_per_topic_and_publishes_nothing(
    workload, admin_env, kafka_bootstrap_servers, topic_prefix
):
    kafka = kafka_bootstrap_servers
    topics = [topic_prefix + t for t in ("CartCheckedOut", "OrderCreated", "OrderCompleted")]
    before = await end_offsets(kafka, topics)
    assert {tp.topic for tp in before} == set(topics) and sum(before.values()) >= 10, before
    out = json.loads(await run_admin(admin_env, "republish", "--dry-run", "--json"))
    counts = {row["topic"]: row["messages"] for row in out["topics"]}
    assert out["dry_run"] is True
    assert counts[topic_prefix + "CartCheckedOut"] == 4
    assert counts[topic_prefix + "OrderCreated"] == 4
    assert counts[topic_prefix + "OrderCompleted"] == 2
    assert out["messages"] == sum(counts.values())
    table = await run_admin(admin_env, "republish", "OrderCreated", "--dry-run")
    assert "would republish 4 messages" in table and f"{topic_prefix}OrderCreated" in table
    # A positive marker that the tool ran to its end (the table), then nothing was sent.
    assert await end_offsets(kafka, topics) == before


async def test_republishing_one_order_sends_only_its_messages_with_their_own_ids(
    workload, admin_env, kafka_bootstrap_servers, topic_prefix
):
    kafka, order_id = kafka_bootstrap_servers, workload["paid"][0]
    topic = topic_prefix + "OrderCreated"
    original = await messages(kafka, topic)
    out = json.loads(await run_admin(admin_env, "republish", "OrderCreated", "--order", order_id, "--json"))
    assert out["messages"] == 1 and out["dry_run"] is False, out
    now = await messages(kafka, topic)
    [its] = [m for m in original if m[1] == order_id.encode()]
    assert json.loads(its[2])["data"]["order_id"] == order_id
    # One message more, and it is the order's own, byte for byte (its event id with it).
    assert len(now) == len(original) + 1 and now.count(its) == 2
