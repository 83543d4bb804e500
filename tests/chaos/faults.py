"""The faults, each a coroutine run while the workload goes on; each returns what it did."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from devstack.kafka import KafkaCluster
from devstack.postgres import PostgresServer
from tests.chaos.platform import Platform
from tests.support.kafka_groups import assignments, describe

Fault = Callable[[], Awaitable[str]]


def kill_service(platform: Platform, name: str, down: float = 1.5) -> Fault:
    """SIGKILL the service's process mid-flow, leave it dead for `down` seconds, restart it."""

    async def fault() -> str:
        service = platform.processes[name][0]
        platform.kill(service)
        await asyncio.sleep(down)
        started = time.monotonic()
        await platform.restart(service)
        return (
            f"SIGKILLed {name}, restarted after {down:.1f} s, healthy in {time.monotonic() - started:.1f} s"
        )

    return fault


def kill_broker(cluster: KafkaCluster, index: int, down: float = 8.0) -> Fault:
    """SIGKILL one broker of three (RF 3, min ISR 2: writes go on), restart it on its data."""

    async def fault() -> str:
        cluster.kill_broker(index)
        await asyncio.sleep(down)
        started = time.monotonic()
        await cluster.start_broker(index)
        return (
            f"SIGKILLed broker {index + 1} of {cluster.size}, restarted after {down:.0f} s,"
            f" serving in {time.monotonic() - started:.1f} s"
        )

    return fault


def restart_postgres(server: PostgresServer) -> Fault:
    """Stop PostgreSQL (fast shutdown: every session is cut) and start it again on its data."""

    async def fault() -> str:
        started = time.monotonic()
        await server.restart()
        return f"restarted PostgreSQL in {time.monotonic() - started:.1f} s"

    return fault


def crash_postgres(server: PostgresServer, down: float = 1.0) -> Fault:
    """SIGKILL PostgreSQL (a crash: it recovers from its WAL on the next start; with
    DURABLE_SETTINGS every acknowledged commit survives)."""

    async def fault() -> str:
        server.kill()
        await asyncio.sleep(down)
        started = time.monotonic()
        await server.start()
        recovered = time.monotonic() - started
        return f"SIGKILLed PostgreSQL, started after {down:.0f} s, recovered in {recovered:.1f} s"

    return fault


def pause_consumer(platform: Platform, name: str, consumer: str, seconds: float = 16.0) -> Fault:
    """SIGSTOP the service longer than its consumer session timeout (10 s): the group coordinator
    evicts it; after SIGCONT it must rejoin (a rebalance) and go on where the group committed."""

    async def fault() -> str:
        group = f"{platform.prefix}{consumer}"
        before = await assignments(platform.kafka, group)
        service = platform.processes[name][0]
        platform.pause(service)
        await asyncio.sleep(seconds)
        during = await assignments(platform.kafka, group)
        platform.resume(service)
        after: dict[str, list[str]] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            after = await assignments(platform.kafka, group)
            if after and set(after) != set(before):
                break
            await asyncio.sleep(1.0)
        assert during == {} or set(during) != set(before), f"{group} was not rebalanced: {during}"
        assert after and set(after) != set(before), f"{group} did not rejoin under a new member: {after}"
        return (
            f"SIGSTOPped {name} for {seconds:.0f} s; group {consumer}:"
            f" before [{describe(before, platform.prefix)}]"
            f" while stopped [{describe(during, platform.prefix) or 'no members'}]"
            f" after SIGCONT [{describe(after, platform.prefix)}]"
        )

    return fault
