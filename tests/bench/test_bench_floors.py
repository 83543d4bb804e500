"""`make bench-floors` measures one operation of each kind on real servers, CPU from `/proc` and
the process clock: an HTTP request through a service's whole stack and through the reference apps, Kafka
produce and fetch, a SQL round trip. No cost is asserted (that is what the benchmark prints); only
that every operation ran as described, was measured on both ends, and left no topic behind."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient

pytest.importorskip("psutil", reason="the bench extras: pip install -e '.[bench]' (make bench does)")

from bench.floors import all_floors, table
from devstack.stack import Stack
from shared.messaging.kafka_security import KafkaCredentials, kafka_client_options

OPERATIONS = [
    "HTTP request, GET /v2/inventories/bench-floor without a token (401), the inventory service",
    "HTTP request, GET /anything (404), bare ASGI app",
    "HTTP request, GET /items/bench-floor (200), one-route FastAPI app",
    "Kafka produce, 1 record",
    "Kafka produce, 50 records (per record)",
    "Kafka fetch of 1 record, 3 partitions assigned",
    "Kafka fetch of 1 record, 24 partitions assigned",
    "Kafka fetch in bulk (per record)",
    "Kafka produce, 1 record, compiled codecs",
    "Kafka produce, 50 records (per record), compiled codecs",
    "Kafka fetch of 1 record, 3 partitions assigned, compiled codecs",
    "Kafka fetch of 1 record, 24 partitions assigned, compiled codecs",
    "SQL round trip (SELECT 1)",
]


def _pid(stack: Stack, name: str) -> int | None:
    return next((p.pid for p in stack.processes() if p.spec.name == name), None)


@pytest.mark.slow
async def test_every_floor_is_measured_on_the_stacks_own_servers(gateway_stack: Stack) -> None:
    bootstrap = await gateway_stack.ensure_kafka()
    postgres = await gateway_stack.ensure_postgres()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
    await admin.start()
    try:
        topics_before = set(await admin.list_topics())
        floors = await all_floors(
            service_url=gateway_stack.app_urls["inventory"],
            service_pid=_pid(gateway_stack, "inventory"),
            bootstrap=bootstrap,
            credentials=KafkaCredentials.from_environment(),
            broker_pid=_pid(gateway_stack, "kafka"),
            dsn=postgres.dsn("postgres"),
            rounds=100,
        )
        left = {t for t in await admin.list_topics() if t.startswith("bench-floors-")} - topics_before
    finally:
        await admin.close()

    assert [f.operation for f in floors] == OPERATIONS
    for floor in floors:
        assert floor.client_us > 0, floor
    sql = floors[-1]
    assert sql.server == "postgres" and sql.server_us is not None, "the backend's CPU, from its pid"
    assert [f.server for f in floors[:3]] == ["inventory", "bare ASGI app", "one-route FastAPI app"]
    assert all(f.server_us is not None for f in floors[1:3]), "the reference apps run in processes of ours"
    assert not left, f"topics left behind: {left}"
    assert all(f.operation in table(floors) for f in floors)
