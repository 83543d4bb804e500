"""The five services as real OS processes on one Kafka and one PostgreSQL, ready to be hurt.

Each service has its own database; `instances=2` runs two processes of a service on that same
database and consumer group (scale-out). Faults act on processes: SIGKILL and restart on the same
port, SIGSTOP/SIGCONT.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from services import SERVICES
from tests.support.services import RunningService, start_service, token

CHAOS_SETTINGS: dict[str, dict[str, str]] = {
    # Generous waits: a payment may wait for inventory through a broker failover or a restart.
    "payment": {
        "PAYMENT_ALLOCATION_TIMEOUT_SECONDS": "60",
        "PAYMENT_ORDER_WAIT_SECONDS": "30",
        "PAYMENT_RECONCILE_INTERVAL_SECONDS": "3",
        "PAYMENT_SESSION_POOL_SIZE": "40",
        "STRIPE_API_KEY": "sk_test_unused",
    },
}


@dataclass
class Platform:
    postgres: Any  # a PostgresHandle (dsn, create_database), restartable when it is a PostgresServer
    kafka: str
    work: Path
    prefix: str = field(default_factory=lambda: f"chaos{uuid4().hex[:8]}.")
    databases: dict[str, str] = field(default_factory=dict)
    processes: dict[str, list[RunningService]] = field(default_factory=dict)

    async def start(self, instances: int = 1) -> None:
        for name in SERVICES:
            database = f"{name}_{uuid4().hex[:8]}"
            await self.postgres.create_database(database)
            self.databases[name] = self.postgres.dsn(database)
        for name in SERVICES:
            self.processes[name] = [await self._spawn(name) for _ in range(instances)]

    async def _spawn(self, name: str) -> RunningService:
        env = {
            "DATABASE_URL": self.databases[name],
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            "TOPIC_PREFIX": self.prefix,
            **CHAOS_SETTINGS.get(name, {}),
        }
        return await start_service(f"services.{name}", env, self.work)

    def url(self, name: str) -> str:
        return self.processes[name][0].url

    def stop(self) -> None:
        for running in self.processes.values():
            for service in running:
                self.resume(service)
                service.stop()

    # -- faults ---------------------------------------------------------------------------------

    @staticmethod
    def kill(service: RunningService) -> None:
        """SIGKILL: no shutdown hook runs, in-flight requests and transactions are cut."""
        service.kill()

    @staticmethod
    async def restart(service: RunningService) -> None:
        """Start the same service again on its port and database (waits until /health answers)."""
        await service.restart()

    @staticmethod
    def pause(service: RunningService) -> None:
        """SIGSTOP: the process keeps its sockets but answers nothing, heartbeats included."""
        if service.process.pid is not None:
            os.kill(service.process.pid, signal.SIGSTOP)

    @staticmethod
    def resume(service: RunningService) -> None:
        if service.process.pid is not None and service.process.is_running():
            os.kill(service.process.pid, signal.SIGCONT)

    # -- credentials ------------------------------------------------------------------------------

    async def tokens(self) -> tuple[str, str]:
        """(admin, shopper) bearer tokens; every service checks the same signature."""
        async with httpx.AsyncClient(base_url=self.url("cart"), timeout=30) as client:
            return await token(client, admin=True), await token(client, admin=False)
