"""The order service's runtime end to end over real Kafka and Postgres: a capture published before
its checkout waits, the order completes once, `OrderCreated` and `OrderCompleted` reach their
topics keyed by the order id, and a payment that can never apply reaches the dead-letter topic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer

from services.order.bootstrap import build_runtime
from services.order.domain.errors import OrderNotFound
from services.order.settings import Settings
from shared.contracts.envelope import Envelope
from shared.contracts.events import PaymentCaptured
from shared.contracts.values import Money
from shared.messaging.kafka import reliable_producer
from shared.runtime import ServiceRuntime
from tests.order.builders import TOTAL, captured, checkout, envelope
from tests.order.reads import statuses
from tests.support.kafka import records_up_to_now
from tests.support.polling import poll_until
from tests.support.settling import settled


@pytest.fixture
async def runtime(postgres, kafka_bootstrap_servers: str) -> AsyncIterator[ServiceRuntime]:
    name = f"order_{uuid4().hex[:10]}"
    await postgres.create_database(name)
    settings = Settings(
        database_url=postgres.dsn(name),
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        topic_prefix=f"t{uuid4().hex[:8]}.",
    )
    runtime = build_runtime(settings)
    async with runtime:
        yield runtime


@pytest.fixture
async def producer(kafka_bootstrap_servers: str) -> AsyncIterator[AIOKafkaProducer]:
    producer = reliable_producer(kafka_bootstrap_servers, client_id="order-test")
    await producer.start()
    yield producer
    await producer.stop()


async def send(producer: AIOKafkaProducer, runtime: ServiceRuntime, env: Envelope) -> None:
    topic = f"{runtime.topic_prefix}{env.event_type}"
    key = str(env.data["order_id"]).encode()
    await producer.send_and_wait(topic, value=env.to_json(), key=key, headers=env.kafka_headers())


async def eventually(check, timeout: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            if await check():
                return
        except OrderNotFound:
            pass
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def read_topics(
    runtime: ServiceRuntime, bootstrap: str, topics: list[str], count: int
) -> list[tuple[str, bytes, dict[str, bytes]]]:
    """Every record of `topics` once `count` of them arrived and the service has settled (its outbox
    relayed, its group past the end of its topics): anything published twice is among them."""
    arrived = await poll_until(
        lambda: records_up_to_now(bootstrap, *topics), lambda found: len(found) >= count
    )
    assert len(arrived) >= count, f"{count} records expected on {topics}, got {len(arrived)}"
    prefix = runtime.topic_prefix
    groups = {f"{prefix}{c.name}": c.topics_with_prefix(prefix) for c in runtime.consumers}
    await settled(bootstrap, outboxes=[runtime.database.dsn], groups=groups)
    return [(r.topic, r.key, dict(r.headers)) for r in await records_up_to_now(bootstrap, *topics)]


async def test_the_service_turns_a_checkout_and_an_early_capture_into_one_complete_order(
    runtime: ServiceRuntime, producer: AIOKafkaProducer, kafka_bootstrap_servers: str
):
    db = runtime.database
    await send(producer, runtime, envelope(captured("o-1", "t1")))
    await eventually(lambda: _parked(runtime))  # it came first: it waits for its order
    await send(producer, runtime, envelope(checkout("o-1"), producer="cart", minutes=0))
    await eventually(lambda: _is(runtime, ("complete", "paid", "unfulfilled")))

    prefix = runtime.topic_prefix
    seen = await read_topics(
        runtime, kafka_bootstrap_servers, [f"{prefix}OrderCreated", f"{prefix}OrderCompleted"], 2
    )
    assert sorted((topic.removeprefix(prefix), key) for topic, key, _ in seen) == [
        ("OrderCompleted", b"o-1"),
        ("OrderCreated", b"o-1"),
    ]
    assert await db.pool.fetchval("SELECT count(*) FROM parked_messages") == 0


async def test_a_payment_that_can_never_apply_reaches_the_dead_letter_topic(
    runtime: ServiceRuntime, producer: AIOKafkaProducer, kafka_bootstrap_servers: str
):
    await send(producer, runtime, envelope(checkout("o-1"), producer="cart", minutes=0))
    await eventually(lambda: _is(runtime, ("incomplete", "unpaid", "unfulfilled")))
    euros = PaymentCaptured(
        order_id="o-1", transaction_id="t1", gateway="manual", amount=Money(amount=TOTAL, currency="EUR")
    )
    poison = envelope(euros)
    await send(producer, runtime, poison)
    [(_, key, headers)] = await read_topics(
        runtime, kafka_bootstrap_servers, [f"{runtime.topic_prefix}DeadLetter"], 1
    )
    assert key == b"o-1" and headers["dlq.consumer"] == b"order"
    assert headers["dlq.reason"].startswith(b"Payment not applicable")
    assert headers["event_id"] == str(poison.event_id).encode()
    assert await statuses(runtime.database, "o-1") == ("incomplete", "unpaid", "unfulfilled")


async def _parked(runtime: ServiceRuntime) -> bool:
    return bool(await runtime.database.pool.fetchval("SELECT count(*) FROM parked_messages"))


async def _is(runtime: ServiceRuntime, expected: tuple[str, str, str]) -> bool:
    return await statuses(runtime.database, "o-1") == expected
