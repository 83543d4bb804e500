"""The development stack: PostgreSQL, Kafka (one broker) and localstripe, then the platform's own processes.

One object serves the pytest fixtures (servers start lazily, only when a test asks), ``make run`` /
``make start`` (everything at once) and the benchmark. The platform's processes (every service and
the nginx gateway, :mod:`devstack.apps`) start only when asked: ``Stack(apps=AppSettings(...))``, as
the CLI does, or :meth:`Stack.start_apps`; the ordinary fixtures leave them off, since tests start the
services they exercise. Environment variables point it at servers that already run instead of
starting its own:

- ``KAFKA_BOOTSTRAP_SERVERS``: use this Kafka;
- ``DATABASE_URL``: a PostgreSQL *server* URL (e.g. ``postgresql://user@host:5432/postgres``); the
  databases are created on it;
- ``STRIPE_API_BASE`` (and ``STRIPE_API_KEY``): use this Stripe API, fake or real.

With ``CHECKOUT_USE_TESTCONTAINERS=1`` and a Docker engine, Kafka and PostgreSQL come from containers.

By default the servers' data lives in ``work_dir`` and is thrown away with it (the tests' stacks).
Given a ``data_dir`` (``make start``'s, :mod:`devstack.data_dir`), the servers it starts keep their
data there across runs: PostgreSQL's cluster, Kafka's log (formatted once; events and offsets never
expire) and localstripe's store, on the ports of their last run when those are free; their logs then
go to ``log_dir``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx

from devstack.aio import gather_or_cancel, in_thread
from devstack.apps import (
    GATEWAY,
    PRIVACY_DATABASE,
    SERVICES,
    STRIPE_WEBHOOK_ID,
    AppProcess,
    AppSettings,
    application_processes,
    check_gateway_port,
)
from devstack.containers import ContainerBackend
from devstack.databases import ExternalPostgres, PostgresHandle
from devstack.errors import DevstackError, ServerStartError
from devstack.fake_stripe import API_KEY as LOCALSTRIPE_API_KEY
from devstack.fake_stripe import LocalStripeServer
from devstack.kafka import KEEP_FOREVER, KafkaCluster, metadata_probe
from devstack.kafka_acls import apply_platform_acls
from devstack.postgres import PostgresServer
from devstack.processes import ManagedProcess, stop_all
from devstack.readiness import Probe
from devstack.remembered_ports import RememberedPorts
from devstack.system import ensure_nginx

log = logging.getLogger("devstack")

T = TypeVar("T")

KAFKA_ENV = "KAFKA_BOOTSTRAP_SERVERS"
DATABASE_ENV = "DATABASE_URL"
STRIPE_BASE_ENV = "STRIPE_API_BASE"
STRIPE_KEY_ENV = "STRIPE_API_KEY"
_EXTERNAL_TIMEOUT = 60.0


class Stack:
    """Kafka, PostgreSQL and localstripe for one test session or one ``make run``; see the module doc."""

    def __init__(
        self,
        work_dir: Path,
        *,
        environ: Mapping[str, str] | None = None,
        containers: ContainerBackend | None = None,
        apps: AppSettings | None = None,
        postgres_settings: Mapping[str, str] | None = None,
        data_dir: Path | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.work_dir = work_dir
        self.data_dir = data_dir
        """Where the servers keep their data across runs; None: throwaway, in ``work_dir``."""
        self.log_dir = log_dir
        """One folder for every log (``<process>.log``); None: each under its own part of ``work_dir``."""
        self._ports = None if data_dir is None else RememberedPorts(data_dir / "ports.json")
        self._postgres_settings = postgres_settings
        """Server settings over the durable defaults (the test suites pass FAST_SETTINGS)."""
        self.app_settings = apps
        """The settings of the services and the gateway, once asked for (here or by :meth:`start_apps`)."""
        self._start_with_apps = apps is not None
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
        """The platform's processes in start order (services, then the gateway)."""
        self.app_urls: dict[str, str] = {}
        """Base URL of each started service, and of the gateway (key ``"gateway"``)."""
        self._app_stages: list[list[ManagedProcess]] = []
        self._bootstrap: str | None = None
        self._postgres: PostgresHandle | None = None
        self._stripe_base: str | None = None
        self._locks: dict[str, asyncio.Lock] = {}

    # -- starting ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start (or connect to) every server concurrently, then the platform's processes if asked."""
        try:
            steps: list[Coroutine[Any, Any, Any]] = [
                self.ensure_postgres(),
                self.ensure_kafka(),
                self.ensure_stripe(),
            ]
            apps = self.app_settings if self._start_with_apps and not self.apps else None
            if apps is not None:
                check_gateway_port(apps)  # before minutes of servers, not after
                steps.append(in_thread(ensure_nginx))  # may apt-get install, while the servers start
            await gather_or_cancel(*steps)
            if apps is not None:
                await self.start_apps(apps)
        except BaseException:
            self.stop()
            raise

    async def start_apps(self, settings: AppSettings) -> None:
        """Start every available service on its own database, then the gateway; return when all are ready.

        Starts (or connects to) the servers first if needed. On failure, whatever started is stopped.
        """
        if self.apps:
            raise DevstackError("the platform's processes are already running in this stack")
        self.app_settings = settings
        try:
            check_gateway_port(settings)
            await gather_or_cancel(self.ensure_postgres(), self.ensure_kafka(), self.ensure_stripe())
            for database in (*SERVICES, PRIVACY_DATABASE):
                await self.create_database(settings.database_name(database))
            if self.kafka is not None and self.kafka.secured:
                await apply_platform_acls(
                    self.kafka_bootstrap_servers, settings.topic_prefix, self.kafka.admin_credentials
                )
            processes = await in_thread(
                application_processes, self.work_dir / "apps", self.env(), settings, self.log_dir
            )
            for stage in sorted({app.stage for app in processes}):
                group: list[ManagedProcess] = []
                self._app_stages.append(group)
                await gather_or_cancel(
                    *(self._start_app(app, group) for app in processes if app.stage == stage)
                )
            if (
                settings.register_stripe_webhook
                and self.localstripe is not None
                and "payment" in self.app_urls
            ):
                await self._register_stripe_webhook(settings)
        except BaseException:
            self.stop_apps()
            raise

    async def _start_app(self, app: AppProcess, group: list[ManagedProcess]) -> None:
        process = ManagedProcess(app.spec)
        self.apps.append(process)
        group.append(process)
        log.info("starting %s…", app.spec.name)
        started = time.monotonic()
        try:
            await process.start(app.ready)
        except ServerStartError as exc:
            log.error("%s failed to start (%s); log: %s", exc.server, exc.reason, exc.log_path)
            raise
        where = f" on {app.url}" if app.url else ""
        log.info("%s ready%s in %.1f s", app.spec.name, where, time.monotonic() - started)
        if app.url is not None:
            self.app_urls[app.spec.name] = app.url

    async def _register_stripe_webhook(self, settings: AppSettings) -> None:
        """Have our localstripe sign and send its events to the gateway, as Stripe would in production."""
        url = f"{settings.gateway_url}/v2/webhooks/stripe"
        try:
            async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
                response = await client.post(
                    f"{self.stripe_api_base}/_config/webhooks/{STRIPE_WEBHOOK_ID}",
                    data={"url": url, "secret": settings.stripe_webhook_secret},
                )
                response.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("could not register the Stripe webhook with localstripe: %s", exc)
            return
        log.info("localstripe sends webhooks to %s", url)

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
                    cluster = self._new_kafka()
                    self.kafka = cluster
                    await self._timed_start("kafka", cluster.start, lambda: cluster.bootstrap_servers)
                    self._bootstrap = cluster.bootstrap_servers
                    self._remember_ports()
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
                    server = self._new_postgres()
                    self.postgres_server = server
                    await self._timed_start("postgres", server.start, lambda: f"{server.host}:{server.port}")
                    self._postgres = server
                    self._remember_ports()
            return self._postgres

    async def ensure_stripe(self) -> str:
        """The Stripe API base URL, starting localstripe on first call unless one is configured."""
        async with self._lock("stripe"):
            if self._stripe_base is None:
                if self._external_stripe:
                    log.info("using Stripe API at %s (%s)", self._external_stripe, STRIPE_BASE_ENV)
                    self._stripe_base = self._external_stripe
                else:
                    server = self._new_localstripe()
                    self.localstripe = server
                    await self._timed_start("localstripe", server.start, lambda: server.url)
                    self._stripe_base = server.url
                    self._remember_ports()
            return self._stripe_base

    def _new_kafka(self) -> KafkaCluster:
        if self.data_dir is None or self._ports is None:
            return KafkaCluster(self.work_dir / "kafka", brokers=1, log_dir=self.log_dir)
        return KafkaCluster(
            self.data_dir / "kafka",
            brokers=1,
            keep_data=True,
            log_dir=self.log_dir,
            properties=KEEP_FOREVER,
            client_ports=[self._ports.port("kafka")],
            controller_ports=[self._ports.port("kafka-controller")],
        )

    def _new_postgres(self) -> PostgresServer:
        if self.data_dir is None or self._ports is None:
            return PostgresServer(
                self.work_dir / "postgres", settings=self._postgres_settings, log_dir=self.log_dir
            )
        return PostgresServer(
            self.data_dir / "postgres",
            settings=self._postgres_settings,
            port=self._ports.port("postgres"),
            log_dir=self.log_dir,
            keep_data=True,
        )

    def _new_localstripe(self) -> LocalStripeServer:
        if self.data_dir is None or self._ports is None:
            return LocalStripeServer(self.log_dir or self.work_dir / "localstripe")
        return LocalStripeServer(
            self.log_dir or self.work_dir / "localstripe",
            port=self._ports.port("localstripe"),
            store_path=self.data_dir / "localstripe" / "store.pickle",
        )

    def _remember_ports(self) -> None:
        if self._ports is not None:
            self._ports.save()

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

    @property
    def gateway_url(self) -> str:
        """The gateway's base URL (after the platform's processes started)."""
        url = self.app_urls.get(GATEWAY)
        if url is None:
            raise DevstackError("the gateway is not started: start the stack with apps=AppSettings(...)")
        return url

    def env(self) -> dict[str, str]:
        """Environment for child processes: the endpoints of every server started or configured so far
        (and, for a Kafka of ours, its admin's development credentials)."""
        env: dict[str, str] = {}
        if self._bootstrap is not None:
            env[KAFKA_ENV] = self.kafka_bootstrap_servers
            if self.kafka is not None and self.kafka.secured:
                env.update(self.kafka.admin_credentials.environment())
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

    def stop_apps(self) -> None:
        """Stop the platform's processes, the gateway first (no request then reaches a stopping service)."""
        for group in reversed(self._app_stages):
            stop_all(group)
        stop_all(self.apps)  # anything not in a stage yet
        self.apps.clear()
        self.app_urls.clear()
        self._app_stages.clear()

    def stop(self) -> None:
        """Stop the platform's processes, then every server; remove throwaway data outside ``work_dir``.

        A throwaway stack's broker is killed rather than shut down: its data goes with the work dir."""
        brokers = self.kafka.processes() if self.kafka is not None else []
        servers = [p for p in self.processes()[len(self.apps) :] if p not in brokers]
        self.stop_apps()  # first, so they can flush and disconnect cleanly
        if self.kafka is not None:
            self.kafka.stop(discard=self.data_dir is None)
        stop_all(servers)
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


def _no_brokers() -> set[int]:
    return set()


def _connect_probe(url: str) -> Probe:
    async def probe() -> None:
        conn = await asyncpg.connect(url, timeout=5)
        await conn.close()

    return probe
