"""A kept Kafka (``make start``'s) formatted before the brokers asked who connects: the next secured
start adds the SCRAM users once, and the topics and their records are still there, now for
authenticated clients only."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError

from devstack.kafka import SCRAM_MARKER, KafkaCluster
from shared.messaging.kafka_security import KafkaCredentials

TOPIC = "kept-through-the-upgrade"


async def _read_all(servers: str, credentials: KafkaCredentials) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **credentials.client_options(),
    )
    try:
        await consumer.start()
        batches = await consumer.getmany(timeout_ms=10_000)
        return [record.value for records in batches.values() for record in records if record.value]
    finally:
        await consumer.stop()


async def test_a_kept_cluster_formatted_without_users_gets_them_and_keeps_its_records(tmp_path: Path):
    work = tmp_path / "kafka"
    unsecured = KafkaCluster(work, keep_data=True, secured=False)
    await unsecured.start()
    ports = ([b.port for b in unsecured.brokers], [b.controller_port for b in unsecured.brokers])
    try:
        producer = AIOKafkaProducer(bootstrap_servers=unsecured.bootstrap_servers, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(TOPIC, b"before the upgrade")
        finally:
            await producer.stop()
    finally:
        unsecured.stop()
    assert not (unsecured.brokers[0].data_dir / SCRAM_MARKER).exists()

    secured = KafkaCluster(
        work, keep_data=True, secured=True, client_ports=ports[0], controller_ports=ports[1]
    )
    await secured.start()
    try:
        assert await _read_all(secured.bootstrap_servers, secured.admin_credentials) == [
            b"before the upgrade"
        ]
        assert (secured.brokers[0].data_dir / SCRAM_MARKER).exists()
        integrator = KafkaCredentials.development("integrator", "SASL_PLAINTEXT")
        with pytest.raises(TopicAuthorizationFailedError):  # no ACL names this topic
            await _read_all(secured.bootstrap_servers, integrator)
        with pytest.raises(KafkaConnectionError):
            await _read_all(secured.bootstrap_servers, KafkaCredentials(protocol="PLAINTEXT"))
    finally:
        secured.stop()
