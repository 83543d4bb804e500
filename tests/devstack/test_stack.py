"""The Stack: lazy starts, and reuse of servers that already run (the environment variables)."""

from __future__ import annotations

import signal

import asyncpg
import pytest

from devstack.aio import gather_or_cancel
from devstack.containers import ContainerBackend, use_testcontainers
from devstack.databases import ExternalPostgres, PostgresHandle
from devstack.errors import DevstackError
from devstack.stack import Stack
from shared.messaging.kafka_security import ADMIN, PASSWORD_ENV, PROTOCOL_ENV, USERNAME_ENV


async def test_asking_for_postgres_starts_only_postgres(tmp_path):
    stack = Stack(tmp_path / "stack", environ={})
    try:
        await stack.ensure_postgres()
        assert stack.postgres_server is not None
        assert stack.kafka is None
        assert stack.localstripe is None
        assert set(stack.env()) == {"DATABASE_URL"}
        await stack.create_database("lazy")
        assert stack.database_url("lazy").endswith("/lazy")
    finally:
        stack.stop()
    assert not any(p.is_running() for p in stack.processes())


async def test_a_throwaway_stack_kills_its_broker_and_stops_postgres_cleanly(tmp_path):
    """Its data goes with the work dir: the broker's clean shutdown, which flushes every partition's
    log (longer than its 15 s with a test session's thousands of topics), would buy nothing; the
    database is still shut down, as its shared memory would outlive a kill."""
    stack = Stack(tmp_path / "stack", environ={})
    try:
        await gather_or_cancel(stack.ensure_kafka(), stack.ensure_postgres())
    finally:
        stack.stop()
    assert stack.kafka is not None and stack.postgres_server is not None
    assert [broker.returncode for broker in stack.kafka.processes()] == [-signal.SIGKILL]
    assert [server.returncode for server in stack.postgres_server.processes()] == [0]


async def test_environment_points_at_running_servers(
    kafka_bootstrap_servers: str, postgres: PostgresHandle, localstripe_url: str, tmp_path
):
    server_url = postgres.url
    environ = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "DATABASE_URL": server_url,
        "STRIPE_API_BASE": localstripe_url,
    }
    stack = Stack(tmp_path / "stack", environ=environ)
    try:
        await stack.start()
        assert stack.processes() == []
        assert stack.env() == {**environ, "STRIPE_API_KEY": "sk_test_12345"}
        assert isinstance(stack.postgres, ExternalPostgres)
        await stack.create_database("from_external_url")
        conn = await asyncpg.connect(stack.database_url("from_external_url"))
        try:
            assert await conn.fetchval("SELECT current_database()") == "from_external_url"
        finally:
            await conn.close()
    finally:
        stack.stop()


def test_stack_fixture_provides_everything(stack: Stack):
    env = stack.env()
    secured = stack.kafka is not None and stack.kafka.secured  # a Kafka of ours asks who connects
    credentials = {PROTOCOL_ENV, USERNAME_ENV, PASSWORD_ENV} if secured else set()
    assert (
        set(env)
        == {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "STRIPE_API_BASE", "STRIPE_API_KEY"} | credentials
    )
    if secured:
        assert (env[PROTOCOL_ENV], env[USERNAME_ENV]) == ("SASL_PLAINTEXT", ADMIN)
    assert env["DATABASE_URL"].startswith("postgresql://")


def test_testcontainers_without_an_engine_fails_clearly(monkeypatch):
    monkeypatch.setenv("CHECKOUT_USE_TESTCONTAINERS", "1")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    assert use_testcontainers()
    with pytest.raises(DevstackError, match="CHECKOUT_USE_TESTCONTAINERS=1 asks for testcontainers"):
        ContainerBackend()
