"""pytest fixtures with real Kafka, PostgreSQL and localstripe; enable with ``pytest_plugins``.

In a conftest: ``pytest_plugins = ["devstack.pytest_plugin"]``. Servers start lazily, once per
session: a test that asks only for ``postgres`` never starts Kafka. ``KAFKA_BOOTSTRAP_SERVERS``,
``DATABASE_URL`` and ``STRIPE_API_BASE`` make the fixtures use servers that already run;
``CHECKOUT_USE_TESTCONTAINERS=1`` takes Kafka and PostgreSQL from a Docker engine. Everything runs
in a per-session temp folder, kept (and named in the summary) when tests failed.

Fixtures: ``stack`` (every server started), ``lazy_stack`` (nothing started yet: ``await
ensure_*()``), ``kafka_bootstrap_servers``, ``postgres`` (``dsn(db)``, ``await
create_database(db)``), ``localstripe_url``, and ``kafka_cluster3`` (a separate three-broker
cluster per module, for fault tests).

None of them starts the services or the gateway: tests start the services they exercise. The opt-in
``gateway_stack`` does, once per session, for end-to-end tests through the public entry point.

A test session is a development machine: the plugin sets ``ALLOW_DEV_SECRETS=1`` (unless the
environment says otherwise), so the services tests start may use the public development secrets.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from uuid import uuid4

import pytest
import pytest_asyncio

from devstack.apps import AppSettings
from devstack.containers import ContainerBackend, use_testcontainers
from devstack.databases import PostgresHandle
from devstack.kafka import KafkaCluster
from devstack.ports import free_port
from devstack.postgres import FAST_SETTINGS
from devstack.stack import Stack
from shared.settings import DEV_SECRETS_FLAG

log = logging.getLogger("devstack")


def pytest_configure(config: pytest.Config) -> None:
    """Make SIGTERM (a CI timeout) unwind like Ctrl-C, so fixtures and atexit stop the servers, and
    let the services the tests start (they inherit this environment) use the development secrets."""
    del config
    os.environ.setdefault(DEV_SECRETS_FLAG, "1")
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) in (
        signal.SIG_DFL,
        None,
    ):
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def devstack_work_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A per-session folder for data and logs; removed at the end unless a test failed."""
    work = Path(tempfile.mkdtemp(prefix="devstack-pytest-"))
    work.chmod(0o755)  # the postgres user must be able to reach its data folder inside
    yield work
    if request.session.testsfailed:
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"devstack: server logs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def test_postgres_settings() -> Mapping[str, str] | None:
    """The suite's PostgreSQL: fast (its data is thrown away and no test here kills it) unless
    ``DEVSTACK_DURABLE_TESTS=1``; tests that kill PostgreSQL start their own durable server."""
    return None if os.environ.get("DEVSTACK_DURABLE_TESTS", "") not in ("", "0") else FAST_SETTINGS


@pytest.fixture(scope="session")
def lazy_stack(devstack_work_dir: Path) -> Iterator[Stack]:
    """The session's stack, nothing started yet; every server it started is stopped at the end."""
    containers = ContainerBackend() if use_testcontainers() else None
    stack = Stack(
        devstack_work_dir / "stack", containers=containers, postgres_settings=test_postgres_settings()
    )
    try:
        yield stack
    finally:
        stack.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def stack(lazy_stack: Stack) -> Stack:
    """Every server started (or connected to): use ``stack.env()`` for child processes."""
    await lazy_stack.start()
    return lazy_stack


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def kafka_bootstrap_servers(lazy_stack: Stack) -> str:
    """``host:port`` of a single Kafka broker (started on first use)."""
    return await lazy_stack.ensure_kafka()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres(lazy_stack: Stack) -> PostgresHandle:
    """The PostgreSQL server: ``.dsn(db)``, ``await .create_database(db)`` (started on first use)."""
    return await lazy_stack.ensure_postgres()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def localstripe_url(lazy_stack: Stack) -> str:
    """The Stripe API base URL of localstripe (started on first use); the key is ``sk_test_12345``."""
    return await lazy_stack.ensure_stripe()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def gateway_stack(lazy_stack: Stack) -> Stack:
    """The servers, every available service and the nginx gateway, as ``make run`` has them.

    ``gateway_stack.gateway_url`` is the entry point (a free port, not 8080, so a developer's
    ``make run`` can go on); ``app_urls`` names each service's own URL. The services use a topic
    prefix and databases of their own, so other tests' services never see their events or data, and
    the admin client is the development default. Stopped (gateway first) with the session's stack.
    """
    tag = uuid4().hex[:8]
    settings = AppSettings(
        gateway_port=free_port(),
        topic_prefix=f"gw{tag}.",
        database_prefix=f"gw{tag}_",
        register_stripe_webhook=False,
    )
    await lazy_stack.start_apps(settings)
    return lazy_stack


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def kafka_cluster3(
    devstack_work_dir: Path, request: pytest.FixtureRequest
) -> AsyncIterator[KafkaCluster]:
    """A separate three-broker cluster for this module's fault tests, stopped after the module."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    work = Path(tempfile.mkdtemp(prefix=f"kafka3-{module}-", dir=devstack_work_dir))
    cluster = KafkaCluster(work, brokers=3, name="kafka3")
    try:
        await cluster.start()
        log.info("kafka3 ready on %s (%s)", cluster.bootstrap_servers, cluster.timings)
        yield cluster
    finally:
        cluster.stop(discard=True)  # its data goes with the session's folder
