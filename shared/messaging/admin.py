"""Topic administration: services create the topics they use before subscribing to them."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.messaging.kafka_security import kafka_client_options

log = logging.getLogger(__name__)


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[str],
    *,
    partitions: int = 3,
    replication_factor: int | None = None,
) -> None:
    """Create missing topics. Replication defaults to min(3, brokers in the cluster)."""
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
