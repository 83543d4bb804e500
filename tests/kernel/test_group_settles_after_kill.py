"""A consumer group serves again soon after one of its members is SIGKILLed mid-stream, every time.

A killed member's death is noticed when its session times out (`session_timeout_ms`, 10 s: aiokafka's
default, which every service runs with); the restarted member's join and the survivor's rejoin then
rebalance the group once. So from the kill the group must be serving, with both members, within two
session timeouts. Issue 23 saw a group take 93 s: a survivor's offset commit sent with the generation
the rebalance was replacing came back `IllegalGeneration` after the new generation had formed, and
aiokafka answered it by dropping the new membership and joining again, which started the next
rebalance, over and over while messages kept arriving and commits kept being retried.

Messages flow the whole time, so the members always have offsets to commit; and at the end every
message is in the ledger exactly once.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from shared.contracts.envelope import Envelope
from tests.kernel.apps.contracts import ProbeCredited
from tests.kernel.processes import ServiceProcess
from tests.support.kafka_groups import settled_members
from tests.support.polling import poll_until

LEDGER = "tests.kernel.apps.ledger_service"
SESSION_TIMEOUT = 10.0  # aiokafka's default session_timeout_ms, as the services run
SETTLE_BOUND = 2 * SESSION_TIMEOUT  # from the kill: the dead member expires, then one rebalance
KILLS = 4
PARTITIONS = 3  # ensure_topics' default
ACCOUNTS = [f"acc-{n}" for n in range(40)]


class CreditStream:
    """Publishes credits to the ledger's topic at a steady rate and remembers their ids."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self.producer = producer
        self.topic = topic
        self.sent: list[str] = []
        self._task: asyncio.Task[None] | None = None

    async def send(self, account: str, *, partition: int | None = None) -> str:
        envelope = Envelope.of(
            ProbeCredited(account_id=account, amount=1),
            aggregate_id=account,
            producer="kernel-test",
            correlation_id=str(uuid4()),
        )
        await self.producer.send_and_wait(
            self.topic,
            value=envelope.to_json(),
            key=account.encode(),
            partition=partition,
            headers=envelope.kafka_headers(),
        )
        self.sent.append(str(envelope.event_id))
        return str(envelope.event_id)

    async def _flow(self) -> None:
        while True:
            await self.send(random.choice(ACCOUNTS))
            await asyncio.sleep(0.02)

    def start(self) -> None:
        self._task = asyncio.create_task(self._flow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


async def applied_credits(dsn: str) -> list[str]:
    """Every credit id in the ledger, duplicates included."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT data->>'credit_id' AS credit FROM events WHERE stream_id LIKE 'account-%'"
        )
    except asyncpg.UndefinedTableError:
        return []
    finally:
        await conn.close()
    return [r["credit"] for r in rows]


@pytest.fixture
async def members(ledger_env: dict[str, str], tmp_path: Path) -> AsyncIterator[list[ServiceProcess]]:
    processes = [
        ServiceProcess(
            LEDGER, {**ledger_env, "CRASH_MARKER": str(tmp_path / f"crashed-{n}")}, tmp_path / f"m{n}.log"
        )
        for n in range(2)
    ]
    for process in processes:
        await process.start()
    yield processes
    for process in processes:
        await process.stop()


async def kill_and_restart(victim: ServiceProcess) -> float:
    """SIGKILL the member mid-stream (no LeaveGroup, offsets not committed) and start it again."""
    assert victim.proc is not None
    killed_at = asyncio.get_running_loop().time()
    victim.proc.kill()
    await victim.wait_exit(timeout=30)
    await victim.start()
    return killed_at


async def serving(
    stream: CreditStream, ledger_dsn: str, bootstrap: str, group: str, deadline: float, tag: str
) -> str | None:
    """None once the group is stable with both members and a message sent to every partition is
    applied, before `deadline`; otherwise what was missing."""
    loop = asyncio.get_running_loop()
    members = await poll_until(
        lambda: settled_members(bootstrap, group),
        lambda n: n == 2,
        timeout=max(deadline - loop.time(), 0.1),
        interval=0.2,
    )
    if members != 2:
        return f"the group was still rebalancing (stable members: {members})"
    sentinels = {await stream.send(f"sentinel-{tag}-{p}", partition=p) for p in range(PARTITIONS)}
    applied = await poll_until(
        lambda: applied_credits(ledger_dsn),
        lambda credits: sentinels <= set(credits),
        timeout=max(deadline - loop.time(), 0.1),
        interval=0.1,
    )
    if not sentinels <= set(applied):
        return f"{len(sentinels - set(applied))} of {PARTITIONS} partitions were not served"
    return None


async def test_a_group_serves_again_within_two_session_timeouts_after_each_kill(
    members: list[ServiceProcess],
    producer: AIOKafkaProducer,
    ledger_dsn: str,
    kafka_bootstrap_servers: str,
    topic_prefix: str,
) -> None:
    group = f"{topic_prefix}kernel-ledger"
    stream = CreditStream(producer, f"{topic_prefix}ProbeCredited")
    settled = await poll_until(lambda: settled_members(kafka_bootstrap_servers, group), lambda n: n == 2)
    assert settled == 2, "the two members never formed a stable group"
    stream.start()
    loop = asyncio.get_running_loop()
    took: list[float] = []
    try:
        for kill in range(KILLS):
            await poll_until(  # mid-stream: the members are applying (and committing) credits
                lambda: applied_credits(ledger_dsn),
                lambda credits, at_least=20 * (kill + 1): len(credits) >= at_least,
            )
            killed_at = await kill_and_restart(members[kill % 2])
            missing = await serving(
                stream, ledger_dsn, kafka_bootstrap_servers, group, killed_at + SETTLE_BOUND, str(kill)
            )
            took.append(round(loop.time() - killed_at, 1))
            assert missing is None, (
                f"kill {kill + 1}: {SETTLE_BOUND:.0f} s after it, {missing}; seconds to serve after each "
                f"kill: {took}; the members' logs are in {members[0].log_path.parent}"
            )
    finally:
        await stream.stop()

    sent = set(stream.sent)
    everything = await poll_until(lambda: applied_credits(ledger_dsn), lambda credits: sent <= set(credits))
    assert sent <= set(everything), f"{len(sent - set(everything))} credits never applied"
    assert len(everything) == len(set(everything)), "a credit was applied twice"
    print(f"seconds from each kill to a serving group: {took}")
