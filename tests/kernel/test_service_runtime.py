"""A service's own resources and background tasks belong to its runtime (`ServiceRuntime.add_resource`,
`add_background`): they start once the runtime is up, and at shutdown the tasks are cancelled before
the resources they use are closed. Building a runtime, as the tools do, runs none of them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import uuid4

import pytest

from shared.runtime import ServiceRuntime
from tests.support.polling import poll_until


async def _runtime(postgres, kafka_bootstrap_servers: str) -> ServiceRuntime:
    name = f"runtime_{uuid4().hex[:10]}"
    await postgres.create_database(name)
    return ServiceRuntime(
        "shape",
        database_url=postgres.dsn(name),
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        topic_prefix=f"t{uuid4().hex[:8]}.",
    )


async def test_tasks_start_after_the_runtime_and_its_resources_and_stop_before_them(
    postgres, kafka_bootstrap_servers: str
):
    runtime = await _runtime(postgres, kafka_bootstrap_servers)
    seen: list[str] = []

    @asynccontextmanager
    async def sessions() -> AsyncIterator[None]:
        assert await runtime.database.pool.fetchval("SELECT 1") == 1  # the runtime is up
        seen.append("opened")
        try:
            yield
        finally:
            seen.append("closed")

    async def sweep() -> None:
        seen.append("task started")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            seen.append("task cancelled")
            raise

    runtime.add_resource("sessions", sessions)
    runtime.add_background("sweep", sweep)
    assert seen == []  # built, not started
    await runtime.start()
    try:
        await poll_until(lambda: list(seen), lambda now: "task started" in now)
    finally:
        await runtime.stop()
    assert seen == ["opened", "task started", "task cancelled", "closed"]


async def test_a_resource_that_fails_to_open_stops_what_had_started(postgres, kafka_bootstrap_servers: str):
    runtime = await _runtime(postgres, kafka_bootstrap_servers)
    seen: list[str] = []

    @asynccontextmanager
    async def first() -> AsyncIterator[None]:
        seen.append("first opened")
        try:
            yield
        finally:
            seen.append("first closed")

    @asynccontextmanager
    async def second() -> AsyncIterator[None]:
        raise RuntimeError("cannot open")
        yield

    async def never() -> None:
        seen.append("task started")

    runtime.add_resource("first", first)
    runtime.add_resource("second", second)
    runtime.add_background("never", never)
    with pytest.raises(RuntimeError, match="cannot open"):
        await runtime.start()
    assert seen == ["first opened", "first closed"]
    assert runtime.producer is None  # what had started was stopped
