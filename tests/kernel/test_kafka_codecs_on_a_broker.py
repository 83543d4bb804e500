"""With the compiled codecs installed, a real broker takes the relay's producer's records and a
consumer assigned many partitions reads them back whole: keys, values, headers, partitions, order."""

from __future__ import annotations

from uuid import uuid4

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.protocol.fetch import FetchResponse_v11
from aiokafka.protocol.produce import ProduceRequest_v8
from aiokafka.protocol.struct import Struct

from shared.messaging.kafka import reliable_producer
from shared.messaging.kafka_security import kafka_client_options

RECORDS = 30


async def test_records_go_through_the_compiled_codecs_unchanged(kafka_bootstrap_servers: str) -> None:
    base = f"codecs-{uuid4().hex[:8]}"
    topics = [base] + [f"{base}-quiet-{n}" for n in range(7)]  # 24 partitions, as the order service has
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap_servers, **kafka_client_options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 3, 1) for topic in topics])
    finally:
        await admin.close()

    producer = reliable_producer(kafka_bootstrap_servers, client_id="codecs-test")
    assert FetchResponse_v11.decode.__func__ is not Struct.decode.__func__  # installed by the producer
    assert ProduceRequest_v8.encode is not Struct.encode
    sent = [
        (
            f"order-{n % 4}".encode(),
            f'{{"n": {n}}}'.encode(),
            [("event_type", b"OrderCreated"), ("n", str(n).encode())],
        )
        for n in range(RECORDS)
    ]
    await producer.start()
    try:
        for key, value, headers in sent:
            await (await producer.send(base, value=value, key=key, headers=headers))
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=200,  # many small fetches, each naming all 24 partitions
        **kafka_client_options(),
    )
    await consumer.start()
    received = []
    try:
        while len(received) < RECORDS:
            batches = await consumer.getmany(timeout_ms=10_000)
            assert batches, f"no record within 10 s ({len(received)} of {RECORDS})"
            received += [record for records in batches.values() for record in records]
    finally:
        await consumer.stop()

    assert sorted((r.key, r.value, list(r.headers)) for r in received) == sorted(
        (key, value, headers) for key, value, headers in sent
    )
    for key in {key for key, _, _ in sent}:
        of_key = [r for r in received if r.key == key]
        assert len({r.partition for r in of_key}) == 1  # one key, one partition
        assert [r.offset for r in of_key] == sorted(r.offset for r in of_key)
        assert [r.value for r in of_key] == [value for k, value, _ in sent if k == key]
