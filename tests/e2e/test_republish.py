"""`checkout-admin republish` against the five services as processes (real Kafka and PostgreSQL):

- a topic deleted and created again empty is filled from its producer's outbox history with the
  very messages it held (same keys, envelopes, event ids, headers, partitions and order); replaying
  it into every consumer from offset 0 then changes no table of any service;
- a fresh consumer fed only by the republished topic (the order service's own consumer code, run
  by `replay` into an empty database, its read model rebuilt there) ends with the live read model
  of the orders that topic alone made;
- `--dry-run` counts per topic and sends nothing; `--order` sends only that order's messages.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

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
from tests.support.settling import consumer_groups, end_offsets

pytestmark = pytest.mark.slow

TOPIC = "CartCheckedOut"
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
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka, client_id="republish-test")
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
    # consumers kept their positions, which the republished partitions reach exactly, so they read
    # nothing; the broker dropped their groups' offsets with the topic, so no lag check is possible.)
    for name, service in services.items():
        after = await database_state(service)
        changed = [table for table in before[name] if after.get(table) != before[name][table]]
        assert not changed, f"republish and replay changed {name}: {changed}"


async def test_a_fresh_consumer_fed_only_by_the_republished_topic_ends_with_the_live_read_model(
    services, workload, republished, admin_env, postgres
):
    """No second order-service process can join a fresh consumer group here (a service's group is
    named by its topic prefix), so the fresh consumer is the order service's consumer code that
    `replay` runs, reading the republished topic from offset 0 without a group, into an empty database;
    its `orders` read model is then built there by `projections rebuild`. The unpaid orders were made
    by CartCheckedOut alone: their rows equal the live ones, column for column."""
    fresh = f"order_fresh_{uuid4().hex[:8]}"
    await postgres.create_database(fresh)
    env = {**admin_env, "ORDER_DATABASE_URL": postgres.dsn(fresh)}
    replayed = await run_admin(env, "replay", TOPIC, "--to", "order", "--from-offset", "0")
    assert replayed.startswith("4 messages read, 0 already applied"), replayed
    assert "rebuilt order/orders" in await run_admin(env, "projections", "rebuild", "order", "orders")

    async def orders(dsn: str) -> dict[str, dict[str, Any]]:
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                'SELECT * FROM "proj_orders".orders WHERE id = ANY($1)', workload["unpaid"]
            )
        finally:
            await conn.close()
        return {r["id"]: dict(r) for r in rows}

    live = await orders(services["order"].env["DATABASE_URL"])
    assert sorted(live) == sorted(workload["unpaid"])
    assert await orders(postgres.dsn(fresh)) == live


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
