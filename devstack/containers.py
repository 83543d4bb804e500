"""Kafka and PostgreSQL from testcontainers, for machines with a Docker engine that ask for it.

Opt in with ``CHECKOUT_USE_TESTCONTAINERS=1``; the stack then treats the containers like servers
handed to it by URL. localstripe and the three-broker cluster keep running as local processes.

testcontainers' own ``KafkaContainer`` drives Confluent images (its start script and its KRaft
version check assume ``confluentinc/cp-kafka``), so Apache's image is configured here directly,
with a fixed host port that the broker can advertise.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping

from devstack.errors import DevstackError
from devstack.ports import free_port

log = logging.getLogger("devstack")

USE_TESTCONTAINERS_ENV = "CHECKOUT_USE_TESTCONTAINERS"
KAFKA_IMAGE = "apache/kafka:4.1.1"
POSTGRES_IMAGE = "postgres:16"


def use_testcontainers(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``CHECKOUT_USE_TESTCONTAINERS`` is set to 1."""
    return (os.environ if environ is None else environ).get(USE_TESTCONTAINERS_ENV, "") == "1"


def _check_engine() -> None:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=5).ping()
    except Exception as exc:
        raise DevstackError(
            f"{USE_TESTCONTAINERS_ENV}=1 asks for testcontainers, but no Docker engine answers "
            f"(DOCKER_HOST={os.environ.get('DOCKER_HOST', 'unset')}): {exc}. Start Docker, or unset "
            f"{USE_TESTCONTAINERS_ENV} to run Kafka and PostgreSQL as local processes."
        ) from exc


class ContainerBackend:
    """Starts each container on first use and removes them all on :meth:`stop`. Blocking calls."""

    def __init__(self) -> None:
        _check_engine()
        self._containers: list[object] = []
        self._lock = threading.Lock()

    def kafka(self) -> str:
        """Start a single-node KRaft Kafka container; return its bootstrap server (not yet ready)."""
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.docker_client import DockerClient

        host = DockerClient().host()
        port = free_port()
        container = (
            DockerContainer(KAFKA_IMAGE)
            .with_bind_ports(9092, port)
            .with_env("KAFKA_NODE_ID", "1")
            .with_env("KAFKA_PROCESS_ROLES", "broker,controller")
            .with_env("KAFKA_LISTENERS", "INTERNAL://:19092,HOST://:9092,CONTROLLER://:9093")
            .with_env("KAFKA_ADVERTISED_LISTENERS", f"INTERNAL://localhost:19092,HOST://{host}:{port}")
            .with_env(
                "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
                "INTERNAL:PLAINTEXT,HOST:PLAINTEXT,CONTROLLER:PLAINTEXT",
            )
            .with_env("KAFKA_INTER_BROKER_LISTENER_NAME", "INTERNAL")
            .with_env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
            .with_env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
            .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
            .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
            .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
            .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
            .with_env("KAFKA_NUM_PARTITIONS", "3")
            .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "true")
        )
        self._started(container.start())
        return f"{host}:{port}"

    def postgres(self) -> str:
        """Start a PostgreSQL container and wait for it; return its server URL."""
        from testcontainers.community.postgres import PostgresContainer

        container = PostgresContainer(POSTGRES_IMAGE, driver=None).start()
        self._started(container)
        return str(container.get_connection_url())

    def stop(self) -> None:
        """Remove every container started here."""
        with self._lock:
            containers, self._containers = self._containers, []
        for container in reversed(containers):
            try:
                container.stop()  # type: ignore[attr-defined]
            except Exception as exc:  # keep removing the others
                log.warning("could not remove container: %s", exc)

    def _started(self, container: object) -> None:
        with self._lock:
            self._containers.append(container)
