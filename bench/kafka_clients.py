"""The two Kafka clients the bench's readers of offsets share the shape of: an admin client (topics,
groups, committed offsets) and a group-less consumer that only asks for end offsets."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from shared.messaging.kafka_security import kafka_client_options


class OffsetClients:
    """Started and closed together, once for the whole run."""

    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap_servers, client_id=client_id, **kafka_client_options()
        )
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, client_id=client_id, **kafka_client_options()
        )

    async def start(self) -> None:
        await self._admin.start()
        await self._consumer.start()

    async def aclose(self) -> None:
        await self._consumer.stop()
        await self._admin.close()
