"""The relay deletes an outbox row only after Kafka acknowledged it: when the broker refuses a batch,
every row of it stays in the outbox (and the relay says why), and the next relay publishes them.

Real Kafka refuses here: the topic is created with a `max.message.bytes` smaller than one of the
messages, so the broker answers the produce request with an error instead of an acknowledgement."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, MessageSizeTooLargeError

from shared.contracts.integration_event import topic_for
from shared.eventstore.unit_of_work import Database
from shared.messaging.kafka import reliable_producer
from shared.messaging.kafka_security import kafka_client_options
from shared.outbox.relay import OutboxRelay
from tests.kernel.apps.contracts import ProbeCredited
from tests.support.kafka import envelopes_up_to_now
from tests.support.polling import DEADLINE_SECONDS

SMALL_LIMIT = 2_048
KAFKAS_DEFAULT_LIMIT = 1_048_588


async def set_topic_limit(bootstrap: str, topic: str, limit: int, *, create: bool) -> None:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="outbox-ack-test", **kafka_client_options()
    )
    await admin.start()
    try:
        configs = {"max.message.bytes": str(limit)}
        if create:
            await admin.create_topics(
                [NewTopic(topic, num_partitions=1, replication_factor=1, topic_configs=configs)]
            )
        else:
            await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs=configs)])
    finally:
        await admin.close()


async def outbox_ids(database: Database) -> list[int]:
    return [row["id"] for row in await database.pool.fetch("SELECT id FROM outbox ORDER BY id")]


async def relay_once(database: Database, bootstrap: str) -> int:
    """A relay with its own producer (as after a restart) drains the outbox once."""
    producer = reliable_producer(bootstrap, client_id="outbox-ack-test")
    await producer.start()
    try:
        return await OutboxRelay(database.dsn, database.pool, producer).publish_pending()
    finally:
        await producer.stop()


async def relay_once_the_broker_takes_it(database: Database, bootstrap: str) -> int:
    """`relay_once` again while the broker still refuses: a topic's new limit reaches it a moment
    after the admin's change is acknowledged. Each refusal leaves the rows, as above."""
    deadline = asyncio.get_running_loop().time() + DEADLINE_SECONDS
    while True:
        try:
            return await relay_once(database, bootstrap)
        except MessageSizeTooLargeError:
            assert asyncio.get_running_loop().time() < deadline, "the broker kept the old limit"
            await asyncio.sleep(0.2)


async def test_rows_kafka_refused_stay_in_the_outbox_until_a_relay_gets_them_acknowledged(
    database: Database, kafka_bootstrap_servers: str, topic_prefix: str
):
    database.topic_prefix = topic_prefix
    topic = topic_for(ProbeCredited.event_type, topic_prefix)
    await set_topic_limit(kafka_bootstrap_servers, topic, SMALL_LIMIT, create=True)
    async with database.unit_of_work() as uow:
        small = uow.publish(ProbeCredited(account_id="a", amount=1), key="a", aggregate_id="a")
        large = uow.publish(
            ProbeCredited(account_id="a" * 4 * SMALL_LIMIT, amount=2), key="a", aggregate_id="a"
        )
    written = await outbox_ids(database)
    assert len(written) == 2

    refused: KafkaError | None = None
    try:
        await relay_once(database, kafka_bootstrap_servers)
    except KafkaError as error:
        refused = error
    assert await outbox_ids(database) == written, "rows were deleted although Kafka did not acknowledge them"
    assert isinstance(refused, MessageSizeTooLargeError), f"the broker did not refuse the batch: {refused!r}"

    await set_topic_limit(kafka_bootstrap_servers, topic, KAFKAS_DEFAULT_LIMIT, create=False)
    assert await relay_once_the_broker_takes_it(database, kafka_bootstrap_servers) == 2
    assert await outbox_ids(database) == []
    on_kafka = {envelope.event_id for envelope in await envelopes_up_to_now(kafka_bootstrap_servers, topic)}
    assert {small.event_id, large.event_id} <= on_kafka
