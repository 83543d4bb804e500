"""A running service's /metrics, scraped over HTTP, shows its consumer lag and its dead letters.

The fulfilment service runs as a real process against real Kafka. A poison message must show up
in `dead_letters_total` for its consumer and topic. Then the test locks the service's inbox table,
so the consumer waits on the first of five new messages: `consumer_lag` of that partition must
climb to five while it waits, and fall back to zero once the lock is released.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from shared.contracts.events import OrderUpdated
from shared.contracts.values import Address
from shared.messaging.kafka_security import kafka_client_options
from tests.support.kafka import publish_event
from tests.support.services import RunningService, start_service

KEY = "order-waiting-in-line"


@pytest.fixture
def prefix() -> str:
    return f"m{uuid4().hex[:8]}."


@pytest.fixture
async def database_url(postgres) -> str:
    name = f"fulfillment_{uuid4().hex[:8]}"
    await postgres.create_database(name)
    dsn: str = postgres.dsn(name)
    return dsn


@pytest.fixture
async def fulfillment(
    database_url: str, kafka_bootstrap_servers: str, prefix: str, tmp_path: Path
) -> AsyncIterator[RunningService]:
    env = {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "TOPIC_PREFIX": prefix,
    }
    service = await start_service("services.fulfillment", env, tmp_path)
    yield service
    service.stop()


def _samples(text: str, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """`name`'s samples in a Prometheus text exposition, keyed by their labels."""
    found = {}
    for match in re.finditer(rf"^{name}\{{(?P<labels>[^}}]*)\}} (?P<value>\S+)$", text, re.MULTILINE):
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match["labels"]))
        found[labels] = float(match["value"])
    return found


async def _scrape_until(
    service: RunningService, name: str, done: Callable[[dict[frozenset[tuple[str, str]], float]], bool]
) -> dict[frozenset[tuple[str, str]], float]:
    """Scrape /metrics until `done(samples of name)`; fails with the last samples after a minute."""
    samples: dict[frozenset[tuple[str, str]], float] = {}
    async with httpx.AsyncClient(base_url=service.url, timeout=10) as client:
        for _ in range(120):
            response = await client.get("/metrics")
            response.raise_for_status()
            samples = _samples(response.text, name)
            if done(samples):
                return samples
            await asyncio.sleep(0.5)
    raise AssertionError(f"{name} never got there: {samples}")


def _order_updated() -> OrderUpdated:
    address = Address(first_name="Ron", last_name="Swanson", line_1="1 Cabin Rd", postcode="P", country="US")
    return OrderUpdated(order_id=str(uuid4()), shipping_address=address, updated_at=datetime.now(UTC))


async def test_metrics_show_dead_letters_and_the_lag_of_a_waiting_consumer(
    fulfillment: RunningService, database_url: str, kafka_bootstrap_servers: str, prefix: str
) -> None:
    topic = f"{prefix}OrderUpdated"
    group = f"{prefix}fulfillment"

    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap_servers, acks="all", **kafka_client_options()
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{not json", key=KEY.encode())
    finally:
        await producer.stop()
    dead = {frozenset({("consumer", "fulfillment"), ("topic", topic)})}
    letters = await _scrape_until(fulfillment, "dead_letters_total", lambda s: any(k in dead for k in s))
    assert letters[next(iter(dead))] == 1.0

    # Every partition of the group's topics is sampled; nothing waits once the poison is handled.
    lag_of_topic = await _scrape_until(
        fulfillment,
        "consumer_lag",
        lambda s: (
            sum(1 for k in s if ("topic", topic) in k) == 3
            and all(v == 0 for k, v in s.items() if ("topic", topic) in k)
        ),
    )
    assert all(("consumer_group", group) in labels for labels in lag_of_topic)

    blocker = await asyncpg.connect(database_url)
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE")
        for _ in range(5):
            await publish_event(kafka_bootstrap_servers, prefix, _order_updated(), KEY)
        waiting = await _scrape_until(
            fulfillment, "consumer_lag", lambda s: any(("topic", topic) in k and v >= 5 for k, v in s.items())
        )
        assert max(v for k, v in waiting.items() if ("topic", topic) in k) == 5  # all on KEY's partition
        await transaction.rollback()
    finally:
        await blocker.close()

    await _scrape_until(
        fulfillment,
        "consumer_lag",
        lambda s: [v for k, v in s.items() if ("topic", topic) in k] == [0, 0, 0],
    )
