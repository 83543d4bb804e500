"""Scale-out: two instances of every consuming service in one consumer group share its partitions
(shown from the Kafka admin API); SIGKILL one instance of each mid-workload and the survivor takes
every partition over; the stores show nothing processed twice and nothing lost; and every event of
an order's life is keyed by the order id (one partition per order: per-order ordering)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.chaos.audit import settle
from tests.chaos.conftest import open_shop, stocked_products
from tests.chaos.keys import keys_that_are_not_the_order
from tests.chaos.platform import SERVICES, Platform
from tests.chaos.workload import plan_journeys, run_journeys
from tests.support.kafka_groups import assignments, describe

CHECKOUTS, CONCURRENCY = 150, 12


@pytest.fixture(scope="module")
async def scaled(
    postgres: object, kafka_bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    platform = Platform(postgres, kafka_bootstrap_servers, Path(tmp_path_factory.mktemp("scale-out")))
    try:
        await platform.start(instances=2)
        yield platform
    finally:
        platform.stop()


def say(text: str) -> None:
    print(f"scale-out {time.strftime('%H:%M:%S')} {text}", flush=True)


async def _groups_settle_to(platform: Platform, members: int) -> dict[str, dict[str, list[str]]]:
    """Every service's group once it has `members` members that all own partitions."""
    deadline = time.monotonic() + 90
    while True:
        groups = {name: await assignments(platform.kafka, platform.prefix + name) for name in SERVICES}
        if all(len(g) == members and all(g.values()) for g in groups.values()):
            return groups
        if time.monotonic() > deadline:
            raise AssertionError(f"groups did not settle to {members} members: {groups}")
        await asyncio.sleep(1.0)


async def _consumed(url: str) -> Counter[str]:
    """This instance's consumer outcomes from its Prometheus metrics (applied, duplicate, ...)."""
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(f"{url}/metrics")).text
    outcomes: Counter[str] = Counter()
    for line in text.splitlines():
        if line.startswith("consumer_messages_total{"):
            labels, value = line.rsplit(" ", 1)
            outcome = labels.split('outcome="', 1)[1].split('"', 1)[0]
            outcomes[outcome] += int(float(value))
    return outcomes


async def test_two_instances_share_the_partitions_and_one_takes_over_when_the_other_dies(
    scaled: Platform,
) -> None:
    platform = scaled
    shop = await open_shop(platform)
    try:
        stock = await stocked_products(shop, 5, 60)
        shared = await _groups_settle_to(platform, 2)
        for name, group in shared.items():
            owned = list(group.values())
            assert not set(owned[0]) & set(owned[1]), f"{name}: a partition assigned twice: {group}"
            say(f"group {name}, two instances: {describe(group, platform.prefix)}")

        journeys = plan_journeys(list(stock), CHECKOUTS)

        async def kill_one_of_each() -> None:
            while sum(1 for j in journeys if j.outcome not in ("planned", "started")) < 25:
                await asyncio.sleep(0.1)
            for name in SERVICES:
                platform.kill(platform.processes[name][1])
            say("SIGKILLed the second instance of every service mid-workload")

        await asyncio.gather(run_journeys(shop, journeys, CONCURRENCY), kill_one_of_each())
        alone = await _groups_settle_to(platform, 1)
        for name, group in alone.items():
            (survivor,) = group.values()
            everything = sorted(p for owned in shared[name].values() for p in owned)
            assert sorted(survivor) == everything, f"{name}: the survivor owns {survivor}, not {everything}"
            say(f"group {name}, after the kill: {describe(group, platform.prefix)}")

        result = await settle(platform, journeys, stock)
        say(result.line())
        for name in SERVICES:
            say(f"{name} survivor's consumer outcomes: {dict(await _consumed(platform.url(name)))}")
        read, wrong_keys = await keys_that_are_not_the_order(platform.kafka, platform.prefix)
        say(f"{read} messages of an order's life read back: {len(wrong_keys)} not keyed by their order id")
        problems = [f"{j.cart_id}: {p}" for j in journeys for p in j.problems]
        unfinished = [j.cart_id for j in journeys if j.outcome in ("planned", "started", "checked_out")]
    finally:
        for client in shop.all():
            await client.aclose()
    assert not result.violations, "\n".join(result.violations[:40])
    assert not problems and not unfinished, (problems[:10], unfinished[:10])
    assert read > CHECKOUTS and not wrong_keys, wrong_keys[:10]
    assert result.counts["checkouts"] + result.counts["no_stock"] >= CHECKOUTS and result.counts["paid"] > 0
