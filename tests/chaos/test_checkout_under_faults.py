"""A steady checkout workload (over 1,000 checkouts) through the five services as processes, on a
three-broker Kafka (RF 3, min ISR 2) and a PostgreSQL of its own, while each fault strikes in turn:
every service SIGKILLed mid-flow and restarted, a broker SIGKILLed and restarted, PostgreSQL
restarted and then SIGKILLed, and a consumer paused past its session timeout (a group rebalance).
After each fault the stores must show: one order per checked-out cart, every paid order complete
exactly once, no payment captured twice, no unit of stock oversold or lost. The counts are printed
per fault."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter

from devstack.kafka import KafkaCluster
from devstack.postgres import PostgresServer
from tests.chaos.audit import settle
from tests.chaos.conftest import open_shop, stocked_products
from tests.chaos.faults import (
    Fault,
    crash_postgres,
    kill_broker,
    kill_service,
    pause_consumer,
    restart_postgres,
)
from tests.chaos.platform import Platform
from tests.chaos.workload import Journey, Shop, plan_journeys, run_journeys
from tests.support.kafka_groups import replication

PER_FAULT = int(os.environ.get("CHAOS_CHECKOUTS_PER_FAULT", "130"))  # 9 faults: 1,170 carts
CONCURRENCY = 16
# Nine products with enough for everyone who wants them (~135 units each), and one scarce product
# (30 units for ~150 wanted): its late shoppers are refused at payment or find it sold out.
PRODUCTS, UNITS, SCARCE_UNITS = 9, 160, 30
# Each fault also gets a hot product of its own: 6 units for 12 carts that start together just as
# the fault strikes, so payments race for the last units while a process dies.
HOT_UNITS, HOT_CARTS = 6, 12
IN_FLIGHT = ("planned", "started", "checked_out")
FAULT_AFTER = 25  # journeys finished before the fault strikes: it lands mid-flow


def say(text: str) -> None:
    print(f"chaos {time.strftime('%H:%M:%S')} {text}", flush=True)


async def _under_fault(
    shop: Shop, products: list[str], hot_product: str, fault: Fault
) -> tuple[list[Journey], str]:
    journeys = plan_journeys(products, PER_FAULT - HOT_CARTS)
    at = min(FAULT_AFTER, len(journeys) // 4)
    journeys[at:at] = plan_journeys([hot_product], HOT_CARTS)

    async def strike() -> str:
        while sum(1 for j in journeys if j.outcome not in IN_FLIGHT) < min(FAULT_AFTER, len(journeys) // 4):
            await asyncio.sleep(0.1)
        return await fault()

    _, happened = await asyncio.gather(run_journeys(shop, journeys, CONCURRENCY), strike())
    return journeys, happened


async def test_nothing_lost_nothing_doubled_nothing_oversold_under_faults(
    platform: Platform, kafka_cluster3: KafkaCluster, chaos_postgres: PostgresServer
) -> None:
    started = time.monotonic()
    shop = await open_shop(platform)
    faults: list[tuple[str, Fault]] = [
        ("kill cart", kill_service(platform, "cart")),
        ("kill order", kill_service(platform, "order")),
        ("kill payment", kill_service(platform, "payment")),
        ("kill inventory", kill_service(platform, "inventory")),
        ("kill fulfillment", kill_service(platform, "fulfillment")),
        ("kill broker", kill_broker(kafka_cluster3, 0)),
        ("restart postgres", restart_postgres(chaos_postgres)),
        ("crash postgres", crash_postgres(chaos_postgres)),
        ("pause order consumer", pause_consumer(platform, "order", "order")),
    ]
    failures: list[str] = []
    everyone: list[Journey] = []
    try:
        replicas = await replication(platform.kafka, platform.prefix)
        assert replicas and all(counts == {3} for counts in replicas.values()), replicas
        say(f"{len(replicas)} topics, every partition on 3 replicas (the brokers set min.insync.replicas=2)")
        stock = await stocked_products(shop, PRODUCTS, UNITS) | await stocked_products(shop, 1, SCARCE_UNITS)
        regular = list(stock)
        say(
            f"{PRODUCTS} products x {UNITS} units, one of {SCARCE_UNITS}, and per fault a hot one of"
            f" {HOT_UNITS} units for {HOT_CARTS} carts; {len(faults)} faults x {PER_FAULT} carts"
        )
        for name, fault in faults:
            phase = time.monotonic()
            hot = await stocked_products(shop, 1, HOT_UNITS)
            journeys, happened = await _under_fault(shop, regular, *hot, fault)
            stock |= hot
            everyone += journeys
            result = await settle(platform, everyone, stock)
            problems = [f"{j.cart_id}: {p}" for j in journeys for p in j.problems]
            recovered = dict(Counter(r.split(":")[0] for j in journeys for r in j.recovered))
            unfinished = [j for j in journeys if j.outcome in IN_FLIGHT]
            say(f"[{name}] {happened}")
            say(f"[{name}] after {time.monotonic() - phase:.0f} s: {result.line()}")
            say(
                f"[{name}] storefront retries so far: {dict(shop.retries())};"
                f" lost or repeated answers resolved: {recovered}; problems: {len(problems)}"
            )
            for line in problems[:5] + result.violations[:10]:
                say(f"[{name}]   {line}")
            failures += [f"[{name}] {v}" for v in result.violations]
            failures += [f"[{name}] journey {j.cart_id} ended {j.outcome}: {j.problems}" for j in unfinished]
            failures += [f"[{name}] {p}" for p in problems]
        final = result.counts
        say(f"total {time.monotonic() - started:.0f} s: {final['checkouts']} checkouts, {result.line()}")
    finally:
        for client in shop.all():
            await client.aclose()
    assert not failures, "\n".join(failures[:40])
    assert (
        final["checkouts"] >= min(1000, len(faults) * PER_FAULT * 0.8)
        and final["paid"] > 0
        and final["refused"] + final["no_stock"] > 0
    )
    assert sum(1 for j in everyone if j.outcome == "no_stock" or j.order_id) == len(everyone)
