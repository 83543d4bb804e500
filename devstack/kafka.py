"""Apache Kafka in KRaft mode from its Maven jars: one broker, or a three-broker cluster on loopback.

Each node is a combined broker+controller with its own ports and data folder under the work dir.
:meth:`KafkaCluster.start` formats fresh storage and starts every node; "ready" means a real Kafka
client (aiokafka) got metadata listing every running broker from each node, not merely that a port
opened. Single brokers can be killed, stopped and restarted on the same ports and data for fault
tests. A cluster made with ``keep_data=True`` (``make start``) keeps its folder between runs: storage
is formatted only once, and later starts reuse the log, its topics, consumer offsets and cluster id.
"""

from __future__ import annotations

import base64
import logging
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aiokafka.client import AIOKafkaClient

from devstack.aio import gather_or_cancel, in_thread
from devstack.errors import DevstackError, ServerStartError
from devstack.kafka_dist import KafkaLibs, ensure_kafka_libs
from devstack.ports import LOOPBACK, free_ports
from devstack.processes import ManagedProcess, ProcessSpec, stop_all
from devstack.readiness import Probe, all_of, tcp_probe
from devstack.system import ensure_java
from shared.messaging.admin import topic_partitions
from shared.messaging.kafka_acls import upsert_scram_users
from shared.messaging.kafka_security import (
    ADMIN,
    BROKER,
    CLIENT_PRINCIPALS,
    MECHANISM,
    SUPER_USERS,
    KafkaCredentials,
    development_password,
    secured_by_default,
)

log = logging.getLogger("devstack")

_MARKER = ".devstack-kafka"
META_PROPERTIES = "meta.properties"
SCRAM_MARKER = "devstack-scram-users"
"""Written into a log dir once its SCRAM users exist (formatted with them, or added to an older log)."""
ADMIN_CREDENTIALS = KafkaCredentials.development(ADMIN, "SASL_PLAINTEXT")
"""How devstack itself talks to a secured cluster it started (readiness, ACLs)."""
"""Written into a log dir by the storage format: holds the cluster id. Its presence means formatted."""
KEEP_FOREVER: Mapping[str, str] = {
    "log.retention.ms": "-1",
    "offsets.retention.minutes": str(10 * 365 * 24 * 60),
}
"""For a kept development cluster: events and consumer offsets never expire (Kafka's defaults drop
them after a week, which a stack stopped over a holiday would find)."""
SINGLE_BROKER_HEAP_MB = 512
CLUSTER_BROKER_HEAP_MB = 384

_LOG4J2 = """\
# Written by devstack: INFO and above to stdout, which devstack appends to kafka.log.
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
"""


def new_cluster_id() -> str:
    """A random Kafka cluster id: a UUID as 22 characters of unpadded base64url (Kafka's own format)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):  # Kafka avoids ids that look like a command-line flag
            return text


def stored_cluster_id(log_dir: Path) -> str:
    """The cluster id a formatted log dir belongs to (from its ``meta.properties``)."""
    for line in (log_dir / META_PROPERTIES).read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "cluster.id" and value.strip():
            return value.strip()
    raise DevstackError(f"{log_dir / META_PROPERTIES} names no cluster.id; the Kafka log is damaged")


def node_properties(
    node_id: int,
    port: int,
    controller_port: int,
    voters: str,
    data_dir: Path,
    cluster_size: int,
    secured: bool = False,
) -> dict[str, str]:
    """``server.properties`` for one combined broker+controller node, lean enough for a 2-core box."""
    replicas = min(cluster_size, 3)
    min_isr = 2 if replicas >= 3 else 1
    listeners = (
        security_properties(port, controller_port) if secured else plaintext_listeners(port, controller_port)
    )
    return {
        **listeners,
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        "controller.quorum.voters": voters,
        "log.dirs": str(data_dir),
        "num.partitions": str(topic_partitions()),  # topics created on first use, like the platform's
        "default.replication.factor": str(replicas),
        "min.insync.replicas": str(min_isr),
        "offsets.topic.replication.factor": str(replicas),
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": str(replicas),
        "transaction.state.log.min.isr": str(min_isr),
        "transaction.state.log.num.partitions": "10",
        "share.coordinator.state.topic.replication.factor": str(replicas),
        "share.coordinator.state.topic.min.isr": str(min_isr),
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "true",
        # Lean threads and buffers: several JVMs share two cores.
        "num.network.threads": "2",
        "num.io.threads": "2",
        "num.recovery.threads.per.data.dir": "1",
        "background.threads": "4",
        "log.cleaner.threads": "1",
        "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
        "log.segment.bytes": str(64 * 1024 * 1024),
        # Notice a dead broker in ~6 s instead of 9 s (fault tests wait for this).
        "broker.heartbeat.interval.ms": "1000",
        "broker.session.timeout.ms": "6000",
    }


def plaintext_listeners(port: int, controller_port: int) -> dict[str, str]:
    """Listeners that ask nobody who they are (``KAFKA_SECURITY_PROTOCOL=PLAINTEXT``)."""
    return {
        "listeners": f"PLAINTEXT://{LOOPBACK}:{port},CONTROLLER://{LOOPBACK}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    }


def _jaas(module: str, **options: str) -> str:
    pairs = " ".join(f'{key}="{value}"' for key, value in options.items())
    return f"org.apache.kafka.common.security.{module} required {pairs};"


def security_properties(port: int, controller_port: int) -> dict[str, str]:
    """SASL on every listener and ACLs enforced: no anonymous client anywhere.

    Clients and brokers authenticate with SCRAM-SHA-512 (users created when the storage is
    formatted, so the brokers can log in before any metadata is replicated). The controller
    listener uses PLAIN with its one user, ``broker``, in the JAAS config: KRaft's controllers
    cannot check SCRAM, whose credentials live in the very metadata log they serve. The
    `StandardAuthorizer` refuses whatever no ACL allows; ``admin`` and ``broker`` are super users.
    """
    broker_password = development_password(BROKER)
    return {
        "listeners": f"SASL_PLAINTEXT://{LOOPBACK}:{port},CONTROLLER://{LOOPBACK}:{controller_port}",
        "advertised.listeners": f"SASL_PLAINTEXT://{LOOPBACK}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "SASL_PLAINTEXT",
        "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        "listener.name.sasl_plaintext.sasl.enabled.mechanisms": MECHANISM,
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": _jaas(
            "scram.ScramLoginModule", username=BROKER, password=broker_password
        ),
        "sasl.mechanism.controller.protocol": "PLAIN",
        "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.controller.plain.sasl.jaas.config": _jaas(
            "plain.PlainLoginModule",
            username=BROKER,
            password=broker_password,
            **{f"user_{BROKER}": broker_password},
        ),
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": ";".join(f"User:{user}" for user in SUPER_USERS),
        "allow.everyone.if.no.acl.found": "false",
    }


def scram_users() -> list[tuple[str, str]]:
    """Every principal devstack creates, with its development password (see kafka_security)."""
    return [(user, development_password(user)) for user in (*CLIENT_PRINCIPALS, BROKER)]


@dataclass
class KafkaBroker:
    """One node of a :class:`KafkaCluster`."""

    index: int
    node_id: int
    port: int
    controller_port: int
    directory: Path
    process: ManagedProcess

    @property
    def bootstrap(self) -> str:
        """``host:port`` of its client listener."""
        return f"{LOOPBACK}:{self.port}"

    @property
    def properties_path(self) -> Path:
        """Its ``server.properties``."""
        return self.directory / "server.properties"

    @property
    def data_dir(self) -> Path:
        """Its log dir (``log.dirs``): the topics, the metadata log and ``meta.properties``."""
        return self.directory / "data"


@dataclass(frozen=True)
class KafkaTimings:
    """Where the start-up time went, for the README and the benchmark."""

    fetch_seconds: float
    downloaded: bool
    format_seconds: float
    ready_seconds: float

    @property
    def total_seconds(self) -> float:
        """Fetch + format + start-to-ready."""
        return self.fetch_seconds + self.format_seconds + self.ready_seconds


def metadata_probe(
    bootstrap: str, expected: Callable[[], set[int]], credentials: KafkaCredentials | None = None
) -> Probe:
    """Ready when the node at ``bootstrap`` serves metadata listing every broker in ``expected()``
    (to `credentials`, by default the environment's: a secured broker answers nobody else)."""

    async def probe() -> None:
        client = AIOKafkaClient(
            bootstrap_servers=bootstrap,
            request_timeout_ms=5000,
            retry_backoff_ms=200,
            **(credentials or KafkaCredentials.from_environment()).client_options(),
        )
        try:
            await client.bootstrap()
            seen = {broker.nodeId for broker in client.cluster.brokers()}
        finally:
            await client.close()
        missing = expected() - seen
        if missing:
            raise RuntimeError(
                f"metadata from {bootstrap} lacks brokers {sorted(missing)} (has {sorted(seen)})"
            )

    return probe


class KafkaCluster:
    """A Kafka cluster of ``brokers`` KRaft nodes on loopback ports, throwaway unless ``keep_data``.

    ``start()`` wipes ``work_dir`` (only an empty one, or one it made before) and formats fresh
    storage; with ``keep_data`` it wipes nothing and formats only a log dir never formatted, so the
    cluster id, topics and consumer offsets of the last run come back. One broker gets a 512 MB heap
    and replication factor 1; three get 384 MB each, replication factor 3 and
    ``min.insync.replicas=2``. ``properties`` override any generated broker setting. Broker indexes
    are 0-based (node id = index + 1). Logs go to ``log_dir`` (``<name>.log``) when given, else to each
    broker's folder; ``client_ports``/``controller_ports`` pin the ports (free ones otherwise).

    ``secured`` (the default unless ``KAFKA_SECURITY_PROTOCOL=PLAINTEXT``) makes every listener ask
    for SASL and the brokers enforce ACLs (:func:`security_properties`); the SCRAM users of
    :func:`scram_users` are created with the storage, or added once to a kept log formatted before.
    """

    def __init__(
        self,
        work_dir: Path,
        *,
        brokers: int = 1,
        heap_mb: int | None = None,
        cache_dir: Path | None = None,
        properties: Mapping[str, str] | None = None,
        start_timeout: float = 120.0,
        name: str = "kafka",
        keep_data: bool = False,
        log_dir: Path | None = None,
        client_ports: Sequence[int] | None = None,
        controller_ports: Sequence[int] | None = None,
        secured: bool | None = None,
    ) -> None:
        if brokers < 1:
            raise ValueError("a cluster needs at least one broker")
        self.work_dir = work_dir
        self.size = brokers
        self.heap_mb = heap_mb or (SINGLE_BROKER_HEAP_MB if brokers == 1 else CLUSTER_BROKER_HEAP_MB)
        self.cache_dir = cache_dir
        self.extra_properties = dict(properties or {})
        self.start_timeout = start_timeout
        self.name = name
        self.keep_data = keep_data
        self.secured = secured_by_default() if secured is None else secured
        self.log_dir = log_dir
        self._client_ports = list(client_ports or [])
        self._controller_ports = list(controller_ports or [])
        for given in (self._client_ports, self._controller_ports):
            if given and len(given) != brokers:
                raise ValueError(f"{brokers} brokers need {brokers} ports, not {given}")
        self.cluster_id = new_cluster_id()
        self.brokers: list[KafkaBroker] = []
        self.timings: KafkaTimings | None = None
        self._libs: KafkaLibs | None = None
        self._java = "java"

    @property
    def bootstrap_servers(self) -> str:
        """Comma-separated ``host:port`` of every broker."""
        if not self.brokers:
            raise RuntimeError(f"{self.name} has not been started")
        return ",".join(b.bootstrap for b in self.brokers)

    @property
    def admin_credentials(self) -> KafkaCredentials:
        """A super user of this cluster (nobody, for an unsecured one)."""
        return ADMIN_CREDENTIALS if self.secured else KafkaCredentials(protocol="PLAINTEXT")

    def processes(self) -> list[ManagedProcess]:
        """The broker processes (for state files and bulk stops)."""
        return [b.process for b in self.brokers]

    async def start(self) -> None:
        """Fetch the jars if needed, format storage, start every broker, and wait until all serve."""
        libs = await in_thread(ensure_kafka_libs, self.cache_dir)
        self._java = await in_thread(ensure_java)
        self._libs = libs
        self._layout()
        format_started = time.monotonic()
        unformatted = [b for b in self.brokers if not (b.data_dir / META_PROPERTIES).exists()]
        formatted = [b for b in self.brokers if b not in unformatted]
        if formatted:
            self.cluster_id = stored_cluster_id(formatted[0].data_dir)
            log.debug("%s: reusing the log of cluster %s", self.name, self.cluster_id)
        if unformatted:
            await gather_or_cancel(*(in_thread(self._format, b) for b in unformatted))
        if self.secured and formatted and not all((b.data_dir / SCRAM_MARKER).exists() for b in formatted):
            await self._add_scram_users()
        spawned = time.monotonic()
        try:
            await gather_or_cancel(*(self._start_broker(b) for b in self.brokers))
        except BaseException:
            self.stop()
            raise
        ready = time.monotonic()
        self.timings = KafkaTimings(libs.seconds, libs.downloaded, spawned - format_started, ready - spawned)
        log.debug("%s: %s", self.name, self.timings)

    def stop(self, *, discard: bool = False) -> None:
        """Stop every broker (SIGTERM, then SIGKILL after a timeout); data stays in the work dir.

        ``discard``: the data is deleted next, so SIGKILL at once. A clean shutdown closes and flushes
        every partition's log: with the thousands of topics a test session creates, longer than the
        15 s it is given, after which it is killed all the same."""
        stop_all(self.processes(), timeout=15.0, kill=discard)

    def kill_broker(self, index: int) -> None:
        """SIGKILL one broker: a crash, for fault tests."""
        self.brokers[index].process.kill()

    def stop_broker(self, index: int) -> None:
        """Shut one broker down cleanly (it hands its partitions over first)."""
        self.brokers[index].process.stop()

    async def start_broker(self, index: int) -> None:
        """Restart a stopped or killed broker on its old ports and data; wait until it serves again."""
        await self._start_broker(self.brokers[index])

    def _layout(self) -> None:
        marker = self.work_dir / _MARKER
        if self.work_dir.exists() and any(self.work_dir.iterdir()) and not marker.exists():
            verb = "use" if self.keep_data else "wipe"
            raise DevstackError(
                f"refusing to {verb} {self.work_dir}: it is not empty and not a devstack Kafka folder"
            )
        if self.keep_data:
            self.work_dir.mkdir(parents=True, exist_ok=True)
            marker.write_text("a Kafka cluster made by devstack, kept between runs\n")
        else:
            shutil.rmtree(self.work_dir, ignore_errors=True)
            self.work_dir.mkdir(parents=True)
            marker.write_text("a throwaway Kafka cluster made by devstack; wiped on every start\n")
        client_ports = self._client_ports or free_ports(self.size)
        controller_ports = self._controller_ports or free_ports(self.size)
        voters = ",".join(f"{i + 1}@{LOOPBACK}:{p}" for i, p in enumerate(controller_ports))
        log4j = self.work_dir / "log4j2.properties"
        log4j.write_text(_LOG4J2)
        self.brokers = []
        for index in range(self.size):
            node_id = index + 1
            directory = self.work_dir / f"broker-{node_id}"
            directory.mkdir(exist_ok=self.keep_data)
            props = node_properties(
                node_id,
                client_ports[index],
                controller_ports[index],
                voters,
                directory / "data",
                self.size,
                self.secured,
            )
            props.update(self.extra_properties)
            (directory / "server.properties").write_text("".join(f"{k}={v}\n" for k, v in props.items()))
            name = self.name if self.size == 1 else f"{self.name}-{node_id}"
            argv = [
                self._java,
                f"-Xms{self.heap_mb}m",
                f"-Xmx{self.heap_mb}m",
                "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=20",
                "-XX:+ExitOnOutOfMemoryError",
                "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={log4j}",
                "-cp",
                self._classpath,
                "kafka.Kafka",
                str(directory / "server.properties"),
            ]
            spec = ProcessSpec(
                name=name,
                argv=argv,
                log_path=directory / "kafka.log" if self.log_dir is None else self.log_dir / f"{name}.log",
                cwd=directory,
                start_timeout=self.start_timeout,
                stop_timeout=15.0,
            )
            self.brokers.append(
                KafkaBroker(
                    index,
                    node_id,
                    client_ports[index],
                    controller_ports[index],
                    directory,
                    ManagedProcess(spec),
                )
            )

    @property
    def _classpath(self) -> str:
        if self._libs is None:
            raise RuntimeError("Kafka jars not fetched yet")
        return self._libs.classpath

    def _format(self, broker: KafkaBroker) -> None:
        argv = [
            self._java,
            "-Xmx256m",
            "-XX:TieredStopAtLevel=1",
            f"-Dlog4j2.configurationFile={self.work_dir / 'log4j2.properties'}",
            "-cp",
            self._classpath,
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            self.cluster_id,
            "--config",
            str(broker.properties_path),
        ]
        if self.secured:
            for user, password in scram_users():
                argv += ["--add-scram", f"{MECHANISM}=[name={user},password={password}]"]
        format_log = (
            broker.directory / "format.log"
            if self.log_dir is None
            else self.log_dir / f"{broker.process.name}-format.log"
        )
        with format_log.open("wb") as out:
            result = subprocess.run(
                argv, cwd=broker.directory, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            )
        if result.returncode != 0:
            tail = "\n".join(format_log.read_text(errors="replace").splitlines()[-30:])
            raise ServerStartError(
                broker.process.name, format_log, f"storage format failed (exit {result.returncode})", tail
            )
        if self.secured:
            (broker.data_dir / SCRAM_MARKER).write_text("formatted with devstack's SCRAM users\n")

    async def _add_scram_users(self) -> None:
        """A kept log formatted before the brokers were secured has no SCRAM users, and a secured broker
        could not log in to add them: start it once unsecured, add them, stop it. Topics, offsets and
        the cluster id stay."""
        log.info("%s: adding SCRAM users to a log formatted without them (once)", self.name)
        self.secured = False
        try:
            self._rewrite_properties()
            await gather_or_cancel(*(self._start_broker(b) for b in self.brokers))
            await upsert_scram_users(self.bootstrap_servers, scram_users(), self.admin_credentials)
        finally:
            self.stop()
            self.secured = True
            self._rewrite_properties()
        for broker in self.brokers:
            (broker.data_dir / SCRAM_MARKER).write_text("SCRAM users added to a kept log\n")

    def _rewrite_properties(self) -> None:
        voters = ",".join(f"{b.node_id}@{LOOPBACK}:{b.controller_port}" for b in self.brokers)
        for b in self.brokers:
            props = node_properties(
                b.node_id, b.port, b.controller_port, voters, b.data_dir, self.size, self.secured
            )
            props.update(self.extra_properties)
            b.properties_path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))

    async def _start_broker(self, broker: KafkaBroker) -> None:
        def running_ids() -> set[int]:
            return {b.node_id for b in self.brokers if b.process.is_running()}

        probe = all_of(
            tcp_probe(LOOPBACK, broker.port),
            metadata_probe(broker.bootstrap, running_ids, self.admin_credentials),
        )
        await broker.process.start(probe)
