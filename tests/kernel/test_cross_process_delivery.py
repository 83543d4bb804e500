"""An event appended in service A's database reaches service B (another OS process) over real
Kafka, and its effect applies exactly once: on duplicate delivery, after B is SIGKILLed between
committing its effect and committing its offset, and around a poison message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.contracts.envelope import Envelope
from shared.eventstore.unit_of_work import Database
from shared.messaging.dead_letters import dead_letter_topic
from shared.messaging.kafka_security import kafka_client_options
from shared.outbox.relay import OutboxRelay
from tests.kernel.apps.contracts import ProbeCredited
from tests.kernel.processes import ServiceProcess

LEDGER = "tests.kernel.apps.ledger_service"


@pytest.fixture
async def ledger(ledger_env: dict[str, str], tmp_path: Path) -> AsyncIterator[ServiceProcess]:
    process = ServiceProcess(LEDGER, ledger_env, tmp_path / "ledger.log")
    await process.start()
    yield process
    await process.stop()


async def publish_credits(
    database: Database, producer: AIOKafkaProducer, account: str, *credits: ProbeCredited, prefix: str
) -> list[Envelope]:
    """Service A: write credits to its outbox in one transaction, then relay them to Kafka."""
    database.topic_prefix = prefix
    async with database.unit_of_work() as uow:
        envelopes = [uow.publish(c, key=account, aggregate_id=account) for c in credits]
    await OutboxRelay(database.dsn, database.pool, producer).publish_pending()
    return envelopes


async def ledger_credits(dsn: str, account: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT data->>'credit_id' AS credit FROM events WHERE stream_id = $1 ORDER BY version",
            f"account-{account}",
        )
        return [r["credit"] for r in rows]
    except asyncpg.UndefinedTableError:
        return []
    finally:
        await conn.close()


async def wait_for_credits(dsn: str, account: str, count: int, timeout: float = 30) -> list[str]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        credits = await ledger_credits(dsn, account)
        if len(credits) >= count or asyncio.get_running_loop().time() > deadline:
            return credits
        await asyncio.sleep(0.05)


async def credits_through(dsn: str, account: str, sentinel: Envelope, timeout: float = 30) -> list[str]:
    """The account's credits once `sentinel`'s is among them: published after the others on the same
    key (one partition, applied in order), it proves every message before it has been handled."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        credits = await ledger_credits(dsn, account)
        if str(sentinel.event_id) in credits:
            return credits
        assert asyncio.get_running_loop().time() < deadline, f"{sentinel.event_id} not applied: {credits}"
        await asyncio.sleep(0.05)


def credit(amount: int, **flags: bool) -> ProbeCredited:
    return ProbeCredited(account_id="acc", amount=amount, **flags)


async def test_event_from_service_a_reaches_service_b_once(
    database, producer, ledger, ledger_dsn, topic_prefix
):
    envelopes = await publish_credits(database, producer, "acc", credit(5), credit(7), prefix=topic_prefix)
    credits = await wait_for_credits(ledger_dsn, "acc", 2)
    assert credits == [str(e.event_id) for e in envelopes]
    async with database.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 0  # relayed rows are gone


async def test_the_same_message_delivered_twice_applies_once(
    database, producer, ledger, ledger_dsn, topic_prefix
):
    [first] = await publish_credits(database, producer, "acc", credit(5), prefix=topic_prefix)
    await wait_for_credits(ledger_dsn, "acc", 1)
    topic = f"{topic_prefix}ProbeCredited"
    for _ in range(2):  # a redelivery of the very same message, twice
        await producer.send_and_wait(topic, value=first.to_json(), key=b"acc", headers=first.kafka_headers())
    [sentinel] = await publish_credits(database, producer, "acc", credit(1), prefix=topic_prefix)
    credits = await credits_through(ledger_dsn, "acc", sentinel)  # the duplicates were handled before it
    assert credits == [str(first.event_id), str(sentinel.event_id)]


async def test_sigkill_after_commit_before_offset_commit_applies_once(
    database, producer, ledger, ledger_dsn, topic_prefix, kafka_bootstrap_servers
):
    [crash] = await publish_credits(
        database, producer, "acc", credit(3, crash_after_commit=True), prefix=topic_prefix
    )
    assert await ledger.wait_exit(timeout=30) == -9  # it killed itself right after its commit
    assert await ledger_credits(ledger_dsn, "acc") == [str(crash.event_id)]  # the effect is committed

    # ...but the offset is not: Kafka will deliver the message again.
    probe = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap_servers,
        group_id=f"{topic_prefix}kernel-ledger",
        enable_auto_commit=False,
        **kafka_client_options(),
    )
    await probe.start()
    try:
        topic = f"{topic_prefix}ProbeCredited"
        committed = [await probe.committed(TopicPartition(topic, p)) for p in range(3)]
    finally:
        await probe.stop()
    assert all(c is None or c == 0 for c in committed), committed

    await ledger.start()
    [after] = await publish_credits(database, producer, "acc", credit(4), prefix=topic_prefix)
    credits = await credits_through(ledger_dsn, "acc", after)  # the redelivered one was handled before it
    assert credits == [str(crash.event_id), str(after.event_id)]


async def test_malformed_and_poison_messages_go_to_the_dead_letter_topic_and_the_partition_moves_on(
    database, producer, ledger, ledger_dsn, topic_prefix, kafka_bootstrap_servers
):
    topic = f"{topic_prefix}ProbeCredited"
    await producer.send_and_wait(topic, value=b"{not json", key=b"acc")
    await producer.send_and_wait(topic, value=b'{"event_type": "ProbeCredited"}', key=b"acc")
    [poison] = await publish_credits(database, producer, "acc", credit(2, fail=True), prefix=topic_prefix)
    [good] = await publish_credits(database, producer, "acc", credit(9), prefix=topic_prefix)
    assert await wait_for_credits(ledger_dsn, "acc", 1) == [str(good.event_id)]

    dlq = AIOKafkaConsumer(
        dead_letter_topic(topic_prefix),
        bootstrap_servers=kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=None,
        **kafka_client_options(),
    )
    await dlq.start()
    try:
        letters = []
        deadline = asyncio.get_running_loop().time() + 60
        while len(letters) < 3:  # each getmany returns after 1 s even when nothing came: bound the loop
            assert asyncio.get_running_loop().time() < deadline, f"3 dead letters expected, got {letters}"
            batch = await asyncio.wait_for(dlq.getmany(timeout_ms=1000), 30)
            letters.extend(m for msgs in batch.values() for m in msgs)
    finally:
        await dlq.stop()
    reasons = [dict(m.headers)["dlq.reason"].decode() for m in letters]
    assert [m.value for m in letters[:2]] == [b"{not json", b'{"event_type": "ProbeCredited"}']
    assert "undecodable" in reasons[0] and "undecodable" in reasons[1]
    assert "poison" in reasons[2] and Envelope.from_json(letters[2].value).event_id == poison.event_id
    assert all(dict(m.headers)["dlq.original_topic"].decode() == topic for m in letters)
