"""Three brokers on loopback: replication factor 3 with acks=all survives a SIGKILLed broker."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from devstack.kafka import KafkaCluster
from shared.messaging.kafka_security import kafka_client_options

TOPIC = "devstack-replicated"
AUTO_CREATED = "devstack-created-on-first-use"


async def _produce(bootstrap: str, values: list[bytes], topic: str = TOPIC) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=30000,
        **kafka_client_options(),
    )
    await producer.start()
    try:
        for value in values:
            await asyncio.wait_for(producer.send_and_wait(topic, value, key=value), timeout=60)
    finally:
        await producer.stop()


async def _consume_all(bootstrap: str, expected: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **kafka_client_options(),
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(TOPIC, p) for p in range(3)])
        await consumer.seek_to_beginning()
        seen: list[bytes] = []
        deadline = time.monotonic() + 60
        while len(seen) < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            seen += [m.value for batch in batches.values() for m in batch]
        return seen
    finally:
        await consumer.stop()


async def _leaders(bootstrap: str) -> dict[int, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
    await admin.start()
    try:
        (topic,) = await admin.describe_topics([TOPIC])
        return {p["partition"]: p["leader"] for p in topic["partitions"]}
    finally:
        await admin.close()


@pytest.mark.slow
async def _topic_config(admin: AIOKafkaAdminClient, topic: str) -> dict[str, str]:
    """The topic's effective configuration (its own settings and the brokers' defaults)."""
    [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    [(error_code, _, _, _, entries)] = response.resources
    assert error_code == 0, response
    return {entry[0]: entry[1] for entry in entries}


async def test_a_topic_created_on_first_use_is_replicated_three_times_and_needs_two_in_sync(
    kafka_cluster3: KafkaCluster,
):
    """The services never create their topics: the first message creates one with the brokers'
    defaults, so those defaults are what keeps an acknowledged message on two brokers at least."""
    bootstrap = kafka_cluster3.bootstrap_servers
    await _produce(bootstrap, [b"first"], AUTO_CREATED)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
    await admin.start()
    try:
        (topic,) = await admin.describe_topics([AUTO_CREATED])
        config = await _topic_config(admin, AUTO_CREATED)
    finally:
        await admin.close()
    assert topic["partitions"] and all(len(p["replicas"]) == 3 for p in topic["partitions"]), topic
    assert config["min.insync.replicas"] == "2", config["min.insync.replicas"]


async def test_replicated_topic_survives_a_killed_broker(kafka_cluster3: KafkaCluster):
    cluster = kafka_cluster3
    bootstrap = cluster.bootstrap_servers
    assert len(bootstrap.split(",")) == 3

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(TOPIC, num_partitions=3, replication_factor=3)])
        (topic,) = await admin.describe_topics([TOPIC])
        assert all(len(p["replicas"]) == 3 for p in topic["partitions"])
    finally:
        await admin.close()

    before = [f"before-{i}".encode() for i in range(10)]
    await _produce(bootstrap, before)

    victim = (await _leaders(bootstrap))[0] - 1  # the leader of partition 0, as a broker index
    cluster.kill_broker(victim)
    assert not cluster.brokers[victim].process.is_running()

    during = [f"during-{i}".encode() for i in range(10)]
    await _produce(bootstrap, during)
    assert sorted(await _consume_all(bootstrap, 20)) == sorted(before + during)

    await cluster.start_broker(victim)
    assert all(b.process.is_running() for b in cluster.brokers)

    other = (victim + 1) % 3
    cluster.stop_broker(other)  # a clean shutdown hands leadership over first
    after = [f"after-{i}".encode() for i in range(5)]
    await _produce(bootstrap, after)
    await cluster.start_broker(other)
    assert sorted(await _consume_all(bootstrap, 25)) == sorted(before + during + after)
