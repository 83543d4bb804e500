"""The development stack: PostgreSQL, Kafka (one broker) and localstripe, then the platform's own processes.

One object serves the pytest fixtures (servers start lazily, only when a test asks), ``make run`` /
``make start`` (everything at once) and the benchmark. Environment variables point it at servers
that already run instead of starting its own:

- ``KAFKA_BOOTSTRAP_SERVERS``: use this Kafka;
- ``DATABASE_URL``: a PostgreSQL *server* URL (e.g. ``postgresql://user@host:5432/postgres``); the
  databases are created on it;
- ``STRIPE_API_BASE`` (and ``STRIPE_API_KEY``): use this Stripe API, fake or real.

With ``CHECKOUT_USE_TESTCONTAINERS=1`` and a Docker engine, Kafka and PostgreSQL come from containers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import asyncpg

from devstack.aio import gather_or_cancel, in_thread
from devstack.containers import ContainerBackend
from devstack.databases import ExternalPostgres, PostgresHandle
from devstack.errors import DevstackError, ServerStartError
from devstack.fake_stripe import API_KEY as LOCALSTRIPE_API_KEY
from devstack.fake_stripe import LocalStripeServer
from devstack.kafka import KafkaCluster, metadata_probe
from devstack.postgres import PostgresServer
from devstack.processes import ManagedProcess, ProcessSpec, stop_all
from devstack.readiness import Probe

log = logging.getLogger("devstack")

T = TypeVar("T")

KAFKA_ENV = "KAFKA_BOOTSTRAP_SERVERS"
DATABASE_ENV = "DATABASE_URL"
STRIPE_BASE_ENV = "STRIPE_API_BASE"
STRIPE_KEY_ENV = "STRIPE_API_KEY"
_EXTERNAL_TIMEOUT = 60.0


@dataclass(frozen=True)
class AppProcess:
    """One of the platform's own processes (a service, the gateway), started after the servers."""

    spec: ProcessSpec
    ready: Probe | None = None


def application_processes(work_dir: Path, env: Mapping[str, str]) -> list[AppProcess]:
    """EXTENSION POINT: the services and the gateway that ``make run`` / ``make start`` launch.

    Called once the servers are ready, with ``env`` = :meth:`Stack.env` (endpoints of Kafka,
    PostgreSQL and Stripe). Return one :class:`AppProcess` per process, in start order, each with a
    readiness probe (e.g. ``readiness.http_probe("http://127.0.0.1:8080/health")``); pass ``env`` in
    the spec and put logs under ``work_dir``. They are stopped before the servers. None exist yet.
    """
    del work_dir, env
    return []


class Stack:
    """Kafka, PostgreSQL and localstripe for one test session or one ``make run``; see the module doc."""

    def __init__(
        self,
        work_dir: Path,
        *,
        environ: Mapping[str, str] | None = None,
        containers: ContainerBackend | None = None,
    ) -> None:
        self.work_dir = work_dir
        environ = os.environ if environ is None else environ
        self._external_kafka = environ.get(KAFKA_ENV) or None
        self._external_database = environ.get(DATABASE_ENV) or None
        self._external_stripe = environ.get(STRIPE_BASE_ENV) or None
        self._stripe_key = environ.get(STRIPE_KEY_ENV) or LOCALSTRIPE_API_KEY
        self._containers = containers
        self.kafka: KafkaCluster | None = None
        self.postgres_server: PostgresServer | None = None
        self.localstripe: LocalStripeServer | None = None
        self.apps: list[ManagedProcess] = []
        self._bootstrap: str | None = None
        self._postgres: PostgresHandle | None = None
        self._stripe_base: str | None = None
        self._locks: dict[str, asyncio.Lock] = {}

    # -- starting ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start (or connect to) every server concurrently, then the platform's processes."""
        try:
            await gather_or_cancel(self.ensure_postgres(), self.ensure_kafka(), self.ensure_stripe())
            await self._start_apps()
        except BaseException:
            self.stop()
            raise

    async def ensure_kafka(self) -> str:
        """Kafka's bootstrap servers, starting a broker on first call unless one is configured."""
        async with self._lock("kafka"):
            if self._bootstrap is None:
                if self._external_kafka:
                    await self._check_external(
                        "kafka", KAFKA_ENV, metadata_probe(self._external_kafka, _no_brokers)
                    )
                    self._bootstrap = self._external_kafka
                elif self._containers is not None:
                    bootstrap = await self._timed("kafka container", self._containers.kafka)
                    await self._check_external(
                        "kafka container", KAFKA_ENV, metadata_probe(bootstrap, _no_brokers)
                    )
                    self._bootstrap = bootstrap
                else:
                    cluster = KafkaCluster(self.work_dir / "kafka", brokers=1)
                    self.kafka = cluster
                    await self._timed_start("kafka", cluster.start, lambda: cluster.bootstrap_servers)
                    self._bootstrap = cluster.bootstrap_servers
            return self.kafka_bootstrap_servers

    async def ensure_postgres(self) -> PostgresHandle:
        """The PostgreSQL server, starting one on first call unless one is configured."""
        async with self._lock("postgres"):
            if self._postgres is None:
                if self._external_database:
                    external = ExternalPostgres(self._external_database)
                    await self._check_external("postgres", DATABASE_ENV, _connect_probe(external.url))
                    self._postgres = external
                elif self._containers is not None:
                    url = await self._timed("postgres container", self._containers.postgres)
                    self._postgres = ExternalPostgres(url)
                else:
                    server = PostgresServer(self.work_dir / "postgres")
                    self.postgres_server = server
                    await self._timed_start("postgres", server.start, lambda: f"{server.host}:{server.port}")
                    self._postgres = server
            return self._postgres

    async def ensure_stripe(self) -> str:
        """The Stripe API base URL, starting localstripe on first call unless one is configured."""
        async with self._lock("stripe"):
            if self._stripe_base is None:
                if self._external_stripe:
                    log.info("using Stripe API at %s (%s)", self._external_stripe, STRIPE_BASE_ENV)
                    self._stripe_base = self._external_stripe
                else:
                    server = LocalStripeServer(self.work_dir / "localstripe")
                    self.localstripe = server
                    await self._timed_start("localstripe", server.start, lambda: server.url)
                    self._stripe_base = server.url
            return self._stripe_base

    # -- endpoints --------------------------------------------------------------------------------

    @property
    def kafka_bootstrap_servers(self) -> str:
        """Comma-separated ``host:port`` list (after :meth:`ensure_kafka`)."""
        if self._bootstrap is None:
            raise DevstackError("Kafka is not started: await stack.ensure_kafka() first")
        return self._bootstrap

    @property
    def postgres(self) -> PostgresHandle:
        """The PostgreSQL server handle (after :meth:`ensure_postgres`)."""
        if self._postgres is None:
            if self._external_database:
                self._postgres = ExternalPostgres(self._external_database)
            else:
                raise DevstackError("PostgreSQL is not started: await stack.ensure_postgres() first")
        return self._postgres

    @property
    def database_server_url(self) -> str:
        """The server URL (database ``postgres``, or the one ``DATABASE_URL`` named)."""
        return self.postgres.url

    @property
    def stripe_api_base(self) -> str:
        """The Stripe API base URL (after :meth:`ensure_stripe`)."""
        if self._stripe_base is None:
            if not self._external_stripe:
                raise DevstackError("localstripe is not started: await stack.ensure_stripe() first")
            self._stripe_base = self._external_stripe
        return self._stripe_base

    @property
    def stripe_api_key(self) -> str:
        """``STRIPE_API_KEY`` if given, else localstripe's test key."""
        return self._stripe_key

    def database_url(self, dbname: str) -> str:
        """The URL of database ``dbname`` on the stack's server (create it with :meth:`create_database`)."""
        return self.postgres.dsn(dbname)

    async def create_database(self, name: str) -> None:
        """Create database ``name`` on the stack's server unless it exists."""
        await (await self.ensure_postgres()).create_database(name)

    def env(self) -> dict[str, str]:
        """Environment for child processes: the endpoints of every server started or configured so far."""
        env: dict[str, str] = {}
        if self._bootstrap is not None:
            env[KAFKA_ENV] = self.kafka_bootstrap_servers
        if self._postgres is not None or self._external_database:
            env[DATABASE_ENV] = self.database_server_url
        if self._stripe_base is not None or self._external_stripe:
            env[STRIPE_BASE_ENV] = self.stripe_api_base
            env[STRIPE_KEY_ENV] = self.stripe_api_key
        return env

    # -- stopping ---------------------------------------------------------------------------------

    def processes(self) -> list[ManagedProcess]:
        """Every process this stack started: the platform's first, then the servers."""
        servers: list[ManagedProcess] = []
        if self.kafka is not None:
            servers += self.kafka.processes()
        if self.postgres_server is not None:
            servers += self.postgres_server.processes()
        if self.localstripe is not None:
            servers += self.localstripe.processes()
        return [*self.apps, *servers]

    def scratch_paths(self) -> list[Path]:
        """Folders outside ``work_dir`` holding throwaway data (removed by :meth:`stop`)."""
        if self.postgres_server is not None and self.postgres_server.temp_root is not None:
            return [self.postgres_server.temp_root]
        return []

    def stop(self) -> None:
        """Stop the platform's processes, then every server; remove throwaway data outside ``work_dir``."""
        stop_all(self.apps)  # first, so they can flush and disconnect cleanly
        stop_all(self.processes()[len(self.apps) :])
        for path in self.scratch_paths():
            shutil.rmtree(path, ignore_errors=True)
        if self._containers is not None:
            self._containers.stop()

    # -- helpers ----------------------------------------------------------------------------------

    def _lock(self, name: str) -> asyncio.Lock:
        return self._locks.setdefault(name, asyncio.Lock())

    async def _timed_start(
        self, name: str, start: Callable[[], Awaitable[None]], endpoint: Callable[[], str]
    ) -> None:
        log.info("starting %s…", name)
        started = time.monotonic()
        try:
            await start()
        except ServerStartError as exc:
            log.error("%s failed to start (%s); log: %s", exc.server, exc.reason, exc.log_path)
            raise
        log.info("%s ready on %s in %.1f s", name, endpoint(), time.monotonic() - started)

    async def _timed(self, name: str, start: Callable[[], T]) -> T:
        log.info("starting %s…", name)
        started = time.monotonic()
        result = await in_thread(start)
        log.info("%s started in %.1f s", name, time.monotonic() - started)
        return result

    async def _check_external(self, name: str, variable: str, probe: Probe) -> None:
        """Wait until a server we did not start answers, so a wrong URL fails here, clearly."""
        log.info("using %s from %s", name, variable)
        deadline = time.monotonic() + _EXTERNAL_TIMEOUT
        while True:
            try:
                await asyncio.wait_for(probe(), timeout=10)
                return
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise DevstackError(f"{name} ({variable}) does not answer: {exc}") from exc
            await asyncio.sleep(0.5)

    async def _start_apps(self) -> None:
        for app in application_processes(self.work_dir / "apps", self.env()):
            process = ManagedProcess(app.spec)
            self.apps.append(process)
            log.info("starting %s…", app.spec.name)
            started = time.monotonic()
            await process.start(app.ready)
            log.info("%s ready in %.1f s", app.spec.name, time.monotonic() - started)


def _no_brokers() -> set[int]:
    return set()


def _connect_probe(url: str) -> Probe:
    async def probe() -> None:
        conn = await asyncpg.connect(url, timeout=5)
        await conn.close()

    return probe
