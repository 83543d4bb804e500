"""`CheckoutPlatform`: the whole checkout platform in containers, for another team's tests.

Started with testcontainers' container API (``DockerContainer``), one container per process as
containers/compose.yml runs them, all on the host network: PostgreSQL, Kafka, localstripe, the five
services and the gateway, each on a free 127.0.0.1 port so several platforms (and a devstack) can
run side by side. testcontainers' ``DockerCompose`` is not used: it drives Compose v2 only
(``docker compose up --wait``), and Debian's packages give Compose v1.

Fresh secrets and empty data every time; every container is removed on exit, the test passed or not.
Personal data is sealed as in production (a fresh ``PII_MASTER_KEY`` per platform, the key table in
its own ``privacy`` database): the customer's name, email and addresses travel on Kafka as
``pii:v1:...`` ciphertext, and only the order API answers them in clear.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
import urllib.error
import urllib.request
import uuid
from types import TracebackType
from typing import Any

from checkout_platform.testing.engine import Engine, find_engine
from devstack.kafka import new_cluster_id
from services import SERVICES as SERVICES  # re-exported by checkout_platform.testing
from shared.messaging.kafka_security import ADMIN, PROTOCOL_ENV, USERNAME_ENV, KafkaCredentials
from shared.privacy.master_keys import new_master_key

SEALING = ("cart", "order")
"""The services that seal or open personal data: only they get the master key and the key table."""
PRIVACY_DATABASE = "privacy"
"""The key table's database (shared/privacy/key_store.py), beside the services' own."""
DATABASES = (*SERVICES, PRIVACY_DATABASE)
ROUTED = ("cart", "order", "payment", "inventory")  # what the gateway routes (fulfillment has no API)
IMAGES = ("service", "kafka", "postgres", "localstripe", "gateway")
LABEL = "org.checkout-platform.testing"

log = logging.getLogger("checkout_platform.testing")


class PlatformNotReady(RuntimeError):
    """A container of the platform did not become ready in time (its log's tail is in the message)."""


def free_port() -> int:
    """A port nothing listens on at 127.0.0.1 now (the host network: the containers bind it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class CheckoutPlatform:
    """The platform in containers: ``with CheckoutPlatform() as platform:`` then ``platform.url`` etc.

    - `url`: the gateway (Elastic Path's API); `client_id` / `client_secret`: the admin client
      (``client_credentials``; shoppers use ``implicit`` with the same `client_id`).
    - `kafka_bootstrap_servers`: the platform's Kafka (topics named after the events, e.g.
      ``OrderCreated``, with `topic_prefix` in front); `kafka_options`: the keyword arguments an
      aiokafka client needs to be let in (the broker asks who connects: SASL/SCRAM as its admin);
      `database_url`: its PostgreSQL server.
    - `kill(service)` / `restart(service)`: SIGKILL a service's container, start it again.
    - `session`: the value of the `org.checkout-platform.testing` label its containers carry.

    Images: ``{image_prefix}{service,kafka,postgres,localstripe,gateway}:{tag}``, built from a checkout
    with ``make containers-images`` (or pushed to a registry the engine pulls from).
    """

    def __init__(
        self,
        *,
        image_prefix: str = "checkout-platform/",
        tag: str = "dev",
        client_id: str = "checkout-admin",
        topic_prefix: str = "",
        startup_timeout: float = 300,
    ) -> None:
        self.image_prefix = image_prefix
        self.tag = tag
        self.client_id = client_id
        self.client_secret = secrets.token_urlsafe(24)
        self.topic_prefix = topic_prefix
        self.startup_timeout = startup_timeout
        self.ports = {
            name: free_port()
            for name in ("gateway", "postgres", "kafka", "kafka_controller", "localstripe", *SERVICES)
        }
        self.url = f"http://127.0.0.1:{self.ports['gateway']}"
        self.kafka_bootstrap_servers = f"127.0.0.1:{self.ports['kafka']}"
        admin = KafkaCredentials.development(ADMIN, "SASL_PLAINTEXT")
        self.kafka_options: dict[str, Any] = admin.client_options()
        self._postgres_password = secrets.token_hex(16)
        self.database_url = (
            f"postgresql://postgres:{self._postgres_password}@127.0.0.1:{self.ports['postgres']}/postgres"
        )
        self.session = uuid.uuid4().hex[:8]
        self._secrets = {
            "JWT_SECRET": secrets.token_urlsafe(48),
            "ORDER_ID_SECRET": secrets.token_urlsafe(32),
            "STRIPE_WEBHOOK_SECRET": f"whsec_{secrets.token_hex(16)}",
            "PII_MASTER_KEY": new_master_key(),
        }
        self._engine: Engine | None = None
        self._containers: dict[str, Any] = {}

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> CheckoutPlatform:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.stop()
        except RuntimeError:
            if exc is None:
                raise
            log.exception("while removing the platform's containers after a failure")  # keep the failure

    def start(self) -> None:
        """Start every container and wait until the gateway routes to the services."""
        from testcontainers.core.config import testcontainers_config

        self._engine = find_engine()
        if self._engine.private:
            # The private engine has no bridge and no registry: Ryuk (testcontainers' reaper) cannot run.
            testcontainers_config.ryuk_disabled = True
        self._check_images()
        deadline = time.monotonic() + self.startup_timeout
        for name in ("postgres", "kafka", "localstripe"):
            self._run(name)
        self._wait(lambda: self._postgres_ready(), "postgres", deadline)
        for database in DATABASES:
            self._psql(f'CREATE DATABASE "{database}"')
        self._wait(lambda: _listens(self.ports["kafka"]), "kafka", deadline)
        self._wait(
            lambda: _http_ok(f"http://127.0.0.1:{self.ports['localstripe']}/v1/customers", stripe=True),
            "localstripe",
            deadline,
        )
        for service in SERVICES:
            self._run(service)
        for service in SERVICES:
            self._wait(lambda s=service: self._healthy(s), service, deadline)
        self._run("gateway")
        self._wait(self._gateway_routes, "gateway", deadline)

    def stop(self) -> None:
        """Remove every container started (and its anonymous volumes); stop an engine started here."""
        containers, self._containers = self._containers, {}
        errors = []
        for name, container in reversed(list(containers.items())):
            try:
                container.stop(force=True, delete_volume=True)
            except Exception as error:  # keep removing the others
                errors.append(f"{name}: {error}")
        if self._engine is not None:
            self._engine.stop_if_started_here()
            self._engine = None
        if errors:
            raise RuntimeError(f"could not remove every container: {errors}")

    # -- for resilience tests ---------------------------------------------------------------------

    def kill(self, service: str) -> None:
        """SIGKILL the service's container (as a crash would); it stays down until `restart`."""
        self._containers[service].get_wrapped_container().kill()
        self._wait(lambda: self._status(service) != "running", f"{service} killed", time.monotonic() + 60)

    def restart(self, service: str, timeout: float = 120) -> None:
        """Start the service's container again (same container, same data) and wait until it is healthy."""
        self._containers[service].get_wrapped_container().start()
        self._wait(lambda: self._healthy(service), service, time.monotonic() + timeout)

    def logs(self, name: str) -> str:
        """A container's output so far (`name`: a service, postgres, kafka, localstripe or gateway)."""
        out, err = self._containers[name].get_logs()
        return str((out + err).decode(errors="replace"))

    # -- containers ------------------------------------------------------------------------------

    def _image(self, name: str) -> str:
        kind = "service" if name in SERVICES else name
        return f"{self.image_prefix}{kind}:{self.tag}"

    def _client_kw(self) -> dict[str, Any]:
        assert self._engine is not None
        if not self._engine.docker_host:
            return {}
        return {"environment": {**os.environ, "DOCKER_HOST": self._engine.docker_host}}

    def _check_images(self) -> None:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(**self._client_kw())
        try:
            missing = []
            for kind in IMAGES:
                image = f"{self.image_prefix}{kind}:{self.tag}"
                try:
                    client.images.get(image)
                except docker.errors.ImageNotFound:
                    try:
                        client.images.pull(image)
                    except docker.errors.APIError:
                        missing.append(image)
        finally:
            client.close()
        if missing:
            raise PlatformNotReady(
                f"images missing and not pullable: {missing}; build them in a checkout of the platform "
                "with `make containers-images`"
            )

    def _environment(self, name: str) -> dict[str, str]:
        ports = self.ports
        if name == "postgres":
            return {"POSTGRES_PASSWORD": self._postgres_password, "PGPORT": str(ports["postgres"])}
        if name == "kafka":
            return {
                "CLUSTER_ID": new_cluster_id(),
                "KAFKA_PORT": str(ports["kafka"]),
                "KAFKA_CONTROLLER_PORT": str(ports["kafka_controller"]),
                "KAFKA_HEAP_MB": "512",
            }
        if name == "gateway":
            return {"GATEWAY_PORT": str(ports["gateway"])} | {
                f"{service.upper()}_PORT": str(ports[service]) for service in ROUTED
            }
        if name == "localstripe":
            return {}
        environment = {
            "SERVICE": name,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(ports[name]),
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            # The broker asks who connects (SASL/SCRAM, its development passwords on this throwaway
            # loopback Kafka); the services connect as its super user, as the tests' own clients do
            # (no KAFKA_SASL_PASSWORD: the development one, which a service refuses only when set).
            PROTOCOL_ENV: "SASL_PLAINTEXT",
            USERNAME_ENV: ADMIN,
            "TOPIC_PREFIX": self.topic_prefix,
            "JWT_SECRET": self._secrets["JWT_SECRET"],
            "CLIENT_ID": self.client_id,
            "CLIENT_SECRET": self.client_secret,
            "PUBLIC_BASE_URL": self.url,
            "LOG_FORMAT": "json",
            "DATABASE_URL": self._database_url(name),
        }
        if name in SEALING:
            environment |= {
                "PII_MASTER_KEY": self._secrets["PII_MASTER_KEY"],
                "PII_KEYS_DATABASE_URL": self._database_url(PRIVACY_DATABASE),
            }
        if name == "cart":
            environment["ORDER_ID_SECRET"] = self._secrets["ORDER_ID_SECRET"]
        if name == "payment":
            environment |= {
                "STRIPE_API_BASE": f"http://127.0.0.1:{ports['localstripe']}",
                "STRIPE_API_KEY": "sk_test_12345",
                "STRIPE_WEBHOOK_SECRET": self._secrets["STRIPE_WEBHOOK_SECRET"],
            }
        return environment

    def _database_url(self, database: str) -> str:
        return (
            f"postgresql://postgres:{self._postgres_password}@127.0.0.1:{self.ports['postgres']}/{database}"
        )

    def _run(self, name: str) -> None:
        from testcontainers.core.container import DockerContainer

        container = DockerContainer(self._image(name), docker_client_kw=self._client_kw())
        container.with_name(f"checkout-platform-{self.session}-{name}")
        container.with_envs(**self._environment(name))
        container.with_kwargs(
            network_mode="host",
            labels={LABEL: self.session},
            restart_policy={"Name": "on-failure", "MaximumRetryCount": 5},
        )
        if name == "localstripe":
            container.with_command(
                [
                    "python",
                    "-m",
                    "devstack.localstripe_server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.ports[name]),
                ]
            )
        self._containers[name] = container
        container.start()

    # -- readiness -------------------------------------------------------------------------------

    def _status(self, name: str) -> str:
        wrapped = self._containers[name].get_wrapped_container()
        wrapped.reload()
        return str(wrapped.status)

    def _wait(self, ready: Any, what: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            if ready():
                return
            time.sleep(0.5)
        tail = self.logs(what.split()[0])[-3000:] if what.split()[0] in self._containers else ""
        raise PlatformNotReady(f"{what} was not ready in time; its log ends:\n{tail}")

    def _postgres_ready(self) -> bool:
        port = str(self.ports["postgres"])
        code, _ = self._containers["postgres"].exec(
            ["pg_isready", "-h", "127.0.0.1", "-p", port, "-U", "postgres"]
        )
        return bool(code == 0)

    def _psql(self, statement: str) -> None:
        command = ["psql", "--host=127.0.0.1", f"--port={self.ports['postgres']}", "--username=postgres"]
        wrapped = self._containers["postgres"].get_wrapped_container()
        code, output = wrapped.exec_run(
            [*command, "--dbname=postgres", "-v", "ON_ERROR_STOP=1", "-c", statement],
            environment={"PGPASSWORD": self._postgres_password},
        )
        if code != 0:
            raise PlatformNotReady(f"{statement}: {output.decode(errors='replace')}")

    def _healthy(self, service: str) -> bool:
        return _http_ok(f"http://127.0.0.1:{self.ports[service]}/health")

    def _gateway_routes(self) -> bool:
        """The gateway answers a product read from the cart service (401/403 without a token: routed)."""
        try:
            urllib.request.urlopen(f"{self.url}/v2/products", timeout=3)
            return True
        except urllib.error.HTTPError as error:
            return error.code in (401, 403)
        except OSError:
            return False


def _listens(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _http_ok(url: str, *, stripe: bool = False) -> bool:
    headers = {"Authorization": "Bearer sk_test_12345"} if stripe else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=3) as answer:
            return 200 <= int(answer.status) < 300
    except OSError:
        return False
