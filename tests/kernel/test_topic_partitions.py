"""KAFKA_TOPIC_PARTITIONS chooses how many partitions the topics the platform creates get (3 unless
set: room for three instances of a consumer group), against a real broker; a bad value is refused."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from shared.messaging.admin import DEFAULT_PARTITIONS, PARTITIONS_VARIABLE, ensure_topics, topic_partitions
from shared.messaging.kafka_security import kafka_client_options


async def _partitions(bootstrap_servers: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **kafka_client_options())
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
        return len(described["partitions"])
    finally:
        await admin.close()


async def test_topics_get_the_configured_partitions(
    kafka_bootstrap_servers: str, topic_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PARTITIONS_VARIABLE, raising=False)
    await ensure_topics(kafka_bootstrap_servers, [f"{topic_prefix}partitions-default"])
    assert (
        await _partitions(kafka_bootstrap_servers, f"{topic_prefix}partitions-default")
        == DEFAULT_PARTITIONS
        == 3
    )

    monkeypatch.setenv(PARTITIONS_VARIABLE, "1")
    await ensure_topics(kafka_bootstrap_servers, [f"{topic_prefix}partitions-one"])
    assert await _partitions(kafka_bootstrap_servers, f"{topic_prefix}partitions-one") == 1

    await ensure_topics(kafka_bootstrap_servers, [f"{topic_prefix}partitions-asked"], partitions=2)
    assert await _partitions(kafka_bootstrap_servers, f"{topic_prefix}partitions-asked") == 2


@pytest.mark.parametrize("raw", ["0", "-1", "three", "1.5"])
def test_a_bad_partition_count_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=PARTITIONS_VARIABLE):
        topic_partitions({PARTITIONS_VARIABLE: raw})


def test_unset_or_blank_means_three() -> None:
    assert topic_partitions({}) == topic_partitions({PARTITIONS_VARIABLE: " "}) == 3
    assert topic_partitions({PARTITIONS_VARIABLE: "6"}) == 6
