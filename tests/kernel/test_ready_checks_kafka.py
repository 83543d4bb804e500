"""`GET /ready` checks Kafka as well as the database, as docs/operations.md says (issue 21, point 7).

A real service process on a Kafka broker of its own: ready while the broker runs, 503 naming
`kafka` (and only it) once the broker is killed, ready again once the broker is back on its port.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from devstack.kafka import KafkaCluster
from tests.support.polling import poll_until
from tests.support.services import RunningService, start_service


@pytest.fixture
async def own_kafka(tmp_path: Path) -> AsyncIterator[KafkaCluster]:
    cluster = KafkaCluster(tmp_path / "kafka", name="kafka-ready")
    await cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
async def service(postgres, own_kafka: KafkaCluster, tmp_path: Path) -> AsyncIterator[RunningService]:
    database = f"fulfillment_{uuid4().hex[:8]}"
    await postgres.create_database(database)
    env = {
        "DATABASE_URL": postgres.dsn(database),
        "KAFKA_BOOTSTRAP_SERVERS": own_kafka.bootstrap_servers,
        "TOPIC_PREFIX": f"r{uuid4().hex[:8]}.",
    }
    running = await start_service("services.fulfillment", env, tmp_path)
    yield running
    running.stop()


async def readiness(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await client.get("/ready")
    return response.status_code, response.json()


async def test_ready_fails_naming_kafka_while_the_broker_is_away(
    own_kafka: KafkaCluster, service: RunningService
) -> None:
    async with httpx.AsyncClient(base_url=service.url, timeout=10) as client:
        status, body = await poll_until(lambda: readiness(client), lambda r: r[0] == 200)
        assert status == 200, body
        assert body["checks"] == {"database": "ok", "kafka": "ok"}

        own_kafka.kill_broker(0)
        status, body = await poll_until(lambda: readiness(client), lambda r: r[0] == 503)
        assert status == 503, body
        assert set(body["failed"]) == {"kafka"} and body["checks"]["database"] == "ok", body

        await own_kafka.start_broker(0)
        status, body = await poll_until(lambda: readiness(client), lambda r: r[0] == 200)
        assert status == 200, body
