"""Topic administration: services create the topics they use before subscribing to them."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.messaging.kafka_security import kafka_client_options

log = logging.getLogger(__name__)

PARTITIONS_VARIABLE = "KAFKA_TOPIC_PARTITIONS"
DEFAULT_PARTITIONS = 3
"""Room for three instances of a service's consumer group. A shop that runs one instance of each
service can create its topics with one (KAFKA_TOPIC_PARTITIONS=1): every fetch encodes and decodes each
partition assigned, so a consumer of eight topics pays for 24 on every poll (docs/benchmark.md, round
16). Adding partitions later moves keys to other partitions, so choose before the first event."""


def topic_partitions(environ: Mapping[str, str] | None = None) -> int:
    """KAFKA_TOPIC_PARTITIONS, the partitions of the topics the platform creates (default 3)."""
    raw = (os.environ if environ is None else environ).get(PARTITIONS_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_PARTITIONS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{PARTITIONS_VARIABLE} must be a positive whole number, not {raw!r}")
    return int(raw)


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[str],
    *,
    partitions: int | None = None,
    replication_factor: int | None = None,
) -> None:
    """Create missing topics, with ``partitions`` or KAFKA_TOPIC_PARTITIONS (default 3) partitions.
    Replication defaults to min(3, brokers in the cluster)."""
    partitions = partitions or topic_partitions()
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="checkout-topic-admin", **kafka_client_options()
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = sorted(set(topics) - existing)
        if not wanted:
            return
        if replication_factor is None:
            brokers = len((await admin.describe_cluster())["brokers"])
            replication_factor = min(3, max(brokers, 1))
        new = [
            NewTopic(name=t, num_partitions=partitions, replication_factor=replication_factor) for t in wanted
        ]
        try:
            await admin.create_topics(new)
        except TopicAlreadyExistsError:
            pass  # another instance created them first
        log.info("created topics %s", ", ".join(wanted))
    finally:
        await admin.close()
