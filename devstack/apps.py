"""The platform's own processes on top of the servers: every service, then the nginx gateway.

``make run`` / ``make start`` (and the opt-in ``gateway_stack`` fixture) start them; the ordinary
fixtures do not, because tests start exactly the services they exercise. Each service gets its own
database, a free loopback port and the shared settings (Kafka, topic prefix, one JWT secret, the admin
client); the gateway is nginx, configured by :mod:`gateway.config` with the ports the services got.

The services are those of :data:`services.SERVICES`, each run as ``python -m services.<name>``; a
stack may run only some (``DEVSTACK_SERVICES``), and the gateway answers 503 on the paths of the others.
What each service is given beyond the shared settings follows from its ``services.<name>.settings.Settings``:
the stack's value for each of :data:`STACK_VARIABLES` it declares.
"""

from __future__ import annotations

import logging
import os
import pwd
import signal
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from devstack.databases import database_url
from devstack.errors import DevstackError
from devstack.ports import LOOPBACK, free_port, reserve_port
from devstack.processes import ProcessSpec
from devstack.readiness import Probe, http_probe
from devstack.stack_secrets import (
    StackSecrets,
    new_jwt_secret,
    new_order_id_secret,
    new_pii_master_key,
    new_webhook_secret,
)
from devstack.system import ensure_nginx, is_root, reachable
from gateway.config import ROUTED_SERVICES, local_config, render
from services import SERVICES as SERVICES  # every service, in start order (re-exported)
from services import settings_class
from shared.messaging.kafka_security import principal_environment
from shared.settings import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_SECRETS_FLAG

log = logging.getLogger("devstack")

REPO = Path(__file__).resolve().parent.parent
PRIVACY_DATABASE = "privacy"
"""The database of the personal-data key table every service shares (shared/privacy/key_store.py)."""
GATEWAY = "gateway"
DEFAULT_GATEWAY_PORT = 8080
GATEWAY_READY_PATH = "/v2/products"
"""What the gateway must route before it counts as up: a 401 from the cart service will do."""
STRIPE_WEBHOOK_ID = "checkout-platform"


@dataclass(frozen=True)
class AppProcess:
    """One of the platform's own processes (a service, the gateway), started after the servers.

    Processes of one ``stage`` start together; a stage starts once the previous one is ready (the
    services, then the gateway that routes to them). They stop in the reverse order.
    """

    spec: ProcessSpec
    ready: Probe | None = None
    stage: int = 0
    url: str | None = None


@dataclass(frozen=True)
class AppSettings:
    """What the services and the gateway share in one stack (see :meth:`from_environ`)."""

    gateway_host: str = LOOPBACK
    gateway_port: int = DEFAULT_GATEWAY_PORT
    topic_prefix: str = ""
    database_prefix: str = ""
    """Prepended to each service's database name, so a test's stack never meets another's data."""
    jwt_secret: str = field(default_factory=new_jwt_secret, repr=False)
    client_id: str = DEV_CLIENT_ID
    client_secret: str = field(default=DEV_CLIENT_SECRET, repr=False)
    stripe_webhook_secret: str = field(default_factory=new_webhook_secret, repr=False)
    order_id_secret: str = field(default_factory=new_order_id_secret, repr=False)
    """The cart service's key for order ids (random per stack, like the JWT and webhook secrets)."""
    pii_master_key: str = field(default_factory=new_pii_master_key, repr=False)
    """``PII_MASTER_KEY``: wraps the keys personal data is sealed under (random per stack, kept)."""
    services: tuple[str, ...] | None = None
    """Services to run; None runs every one."""
    register_stripe_webhook: bool = True
    """Point the localstripe we started at the gateway's ``/v2/webhooks/stripe`` (off in tests: a
    localstripe shared by a test session sends every webhook to every registered URL)."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], stored: StackSecrets | None = None) -> AppSettings:
        """``GATEWAY_PORT`` (8080; 0 picks a free one), ``TOPIC_PREFIX``, ``JWT_SECRET`` (``stored``'s
        when unset, else random), ``CLIENT_ID`` / ``CLIENT_SECRET`` (the development defaults),
        ``STRIPE_WEBHOOK_SECRET`` and ``ORDER_ID_SECRET`` (``stored``'s, else random) and
        ``DEVSTACK_SERVICES`` (comma-separated; all when unset).

        ``stored`` is what a kept stack generated on its first start (:mod:`devstack.stack_secrets`),
        so tokens, order ids and webhook signatures stay valid across restarts.

        The gateway stays on loopback: a development stack with default credentials is not for a network.
        Its services run with ``ALLOW_DEV_SECRETS=1``, which lets them start with the public client secret.
        """
        raw_port = environ.get("GATEWAY_PORT") or str(DEFAULT_GATEWAY_PORT)
        try:
            port = int(raw_port)
        except ValueError:
            raise DevstackError(f"GATEWAY_PORT must be a port number, not {raw_port!r}") from None
        if not 0 <= port <= 65_535:
            raise DevstackError(f"GATEWAY_PORT must be a port number, not {raw_port!r}")
        wanted = environ.get("DEVSTACK_SERVICES")
        services = None
        if wanted:
            services = tuple(name.strip() for name in wanted.split(",") if name.strip())
            unknown = sorted(set(services) - set(SERVICES))
            if unknown:
                raise DevstackError(f"DEVSTACK_SERVICES names unknown services {unknown}; known: {SERVICES}")
        defaults = cls() if stored is None else cls(**asdict(stored))
        return cls(
            gateway_port=port or free_port(),
            topic_prefix=environ.get("TOPIC_PREFIX", ""),
            jwt_secret=environ.get("JWT_SECRET") or defaults.jwt_secret,
            client_id=environ.get("CLIENT_ID") or DEV_CLIENT_ID,
            client_secret=environ.get("CLIENT_SECRET") or DEV_CLIENT_SECRET,
            stripe_webhook_secret=environ.get("STRIPE_WEBHOOK_SECRET") or defaults.stripe_webhook_secret,
            order_id_secret=environ.get("ORDER_ID_SECRET") or defaults.order_id_secret,
            pii_master_key=environ.get("PII_MASTER_KEY") or defaults.pii_master_key,
            services=services,
        )

    @property
    def gateway_url(self) -> str:
        """The public entry point, e.g. ``http://127.0.0.1:8080``."""
        return f"http://{self.gateway_host}:{self.gateway_port}"

    def database_name(self, service: str) -> str:
        """The database ``service`` owns."""
        return f"{self.database_prefix}{service}"

    def selected(self) -> list[str]:
        """The services this stack runs: those asked for (all by default), in start order."""
        wanted = SERVICES if self.services is None else self.services
        return [name for name in SERVICES if name in wanted]


def check_gateway_port(settings: AppSettings) -> None:
    """Fail before anything starts when the gateway's port is taken (by another stack, say); else keep it
    from being handed to one of the servers or services that start before the gateway."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((settings.gateway_host, settings.gateway_port))
        except OSError as exc:
            where = f"{settings.gateway_host}:{settings.gateway_port}"
            raise DevstackError(
                f"the gateway cannot listen on {where} ({exc.strerror}); "
                "stop whatever uses it (another `make run`?) or set GATEWAY_PORT"
            ) from exc
    reserve_port(settings.gateway_port)


def application_processes(
    work_dir: Path, env: Mapping[str, str], settings: AppSettings, log_dir: Path | None = None
) -> list[AppProcess]:
    """The services, each on a free port, then the gateway routing to them (see the module doc).

    ``env`` holds the servers' endpoints (:meth:`devstack.stack.Stack.env`): ``KAFKA_BOOTSTRAP_SERVERS``,
    ``DATABASE_URL`` (the server; each service gets its own database on it), ``STRIPE_API_BASE`` and
    ``STRIPE_API_KEY``. The databases must exist already (the stack creates them). Logs go to
    ``log_dir`` (``<service>.log``, ``gateway*.log``) when given, else under ``work_dir``.
    """
    processes: list[AppProcess] = []
    upstreams: dict[str, str] = {}
    for service in settings.selected():
        port = free_port()
        if service in ROUTED_SERVICES:
            upstreams[service] = f"{LOOPBACK}:{port}"
        processes.append(service_process(service, port, work_dir, env, settings, log_dir))
    processes.append(gateway_process(work_dir / GATEWAY, settings, upstreams, log_dir))
    return processes


STACK_VARIABLES: dict[str, Callable[[Mapping[str, str], AppSettings], str]] = {
    "ORDER_ID_SECRET": lambda env, settings: settings.order_id_secret,
    "STRIPE_API_BASE": lambda env, settings: env["STRIPE_API_BASE"],
    "STRIPE_API_KEY": lambda env, settings: env["STRIPE_API_KEY"],
    "STRIPE_WEBHOOK_SECRET": lambda env, settings: settings.stripe_webhook_secret,
}
"""What the stack gives a service whose settings have the field of that name, beyond the shared
variables: from the servers' endpoints (``env``) or from the stack's own secrets."""


def service_env(service: str, port: int, env: Mapping[str, str], settings: AppSettings) -> dict[str, str]:
    """The variables ``python -m services.<service>`` reads (its ``Settings``), for this stack.

    A development stack: the services may start with the public development client secret.
    """
    variables = {
        DEV_SECRETS_FLAG: "1",
        "HTTP_HOST": LOOPBACK,
        "HTTP_PORT": str(port),
        "DATABASE_URL": database_url(env["DATABASE_URL"], settings.database_name(service)),
        "KAFKA_BOOTSTRAP_SERVERS": env["KAFKA_BOOTSTRAP_SERVERS"],
        "TOPIC_PREFIX": settings.topic_prefix,
        "JWT_SECRET": settings.jwt_secret,
        "CLIENT_ID": settings.client_id,
        "CLIENT_SECRET": settings.client_secret,
        "PUBLIC_BASE_URL": settings.gateway_url,
        "PII_MASTER_KEY": settings.pii_master_key,
        "PII_KEYS_DATABASE_URL": database_url(env["DATABASE_URL"], settings.database_name(PRIVACY_DATABASE)),
        "PYTHONPATH": _pythonpath(),
        **principal_environment(service, env),  # its own Kafka principal: its topics, nobody else's
    }
    fields = settings_class(service).model_fields
    for name, value in STACK_VARIABLES.items():
        if name.lower() in fields:
            variables[name] = value(env, settings)
    return variables


def service_process(
    service: str,
    port: int,
    work_dir: Path,
    env: Mapping[str, str],
    settings: AppSettings,
    log_dir: Path | None = None,
) -> AppProcess:
    """``python -m services.<service>`` on ``port``, ready once ``/health`` answers."""
    url = f"http://{LOOPBACK}:{port}"
    spec = ProcessSpec(
        name=service,
        argv=[sys.executable, "-m", f"services.{service}"],
        log_path=(log_dir or work_dir) / f"{service}.log",
        cwd=REPO,
        env=service_env(service, port, env, settings),
        start_timeout=90.0,  # five services importing at once on two cores
        stop_timeout=20.0,
    )
    return AppProcess(spec, http_probe(f"{url}/health"), stage=0, url=url)


def gateway_process(
    work_dir: Path, settings: AppSettings, upstreams: Mapping[str, str], log_dir: Path | None = None
) -> AppProcess:
    """nginx in the foreground with a config rendered for ``upstreams``; files under ``work_dir``, its
    logs there too or, given ``log_dir``, as ``gateway.log``, ``gateway-access.log``, ``gateway-error.log``.

    Ready once ``GET /v2/products`` answers 200 or 401: nginx listens *and* reaches the cart service.
    Stopped with SIGQUIT (graceful: requests in flight finish, at most ``worker_shutdown_timeout``).
    """
    nginx = ensure_nginx()
    (work_dir / "tmp").mkdir(parents=True, exist_ok=True)  # nginx creates only the last level
    config = local_config(
        work_dir,
        host=settings.gateway_host,
        port=settings.gateway_port,
        upstreams=upstreams,
        user=_worker_user(work_dir / "tmp"),
    )
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        config = replace(
            config,
            error_log=str(log_dir / f"{GATEWAY}-error.log"),
            access_log=str(log_dir / f"{GATEWAY}-access.log"),
        )
    conf = work_dir / "nginx.conf"
    conf.write_text(render(config))
    spec = ProcessSpec(
        name=GATEWAY,
        # -e stderr: start-up errors land in the process log, whose tail a failed start shows.
        argv=[nginx, "-p", str(work_dir), "-e", "stderr", "-c", str(conf), "-g", "daemon off;"],
        log_path=work_dir / "nginx.log" if log_dir is None else log_dir / f"{GATEWAY}.log",
        cwd=work_dir,
        stop_signal=signal.SIGQUIT,
        signal_group=False,  # the master stops its workers
        start_timeout=30.0,
        stop_timeout=10.0,
    )
    url = settings.gateway_url
    ready = http_probe(f"{url}{GATEWAY_READY_PATH}", accept=(200, 401))
    return AppProcess(spec, ready, stage=1, url=url)


def _worker_user(temp_dir: Path) -> str | None:
    """nginx's workers leave root for ``nobody`` when started as root; they must reach ``temp_dir``.

    When ``nobody`` cannot (a private 0700 folder on the way), the workers keep root's identity: the
    gateway binds an unprivileged loopback port, so the switch protects little in a development stack.
    """
    if not is_root():
        return None
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return "root"
    if reachable(temp_dir, nobody):
        return None  # nginx's default: nobody
    log.debug("gateway workers run as root: 'nobody' cannot reach %s", temp_dir)
    return "root"


def _pythonpath() -> str:
    """Make the repository importable in the child even without an installed package."""
    existing = os.environ.get("PYTHONPATH")
    return str(REPO) if not existing else f"{REPO}{os.pathsep}{existing}"
