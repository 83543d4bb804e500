"""Run a service of this repository as a real OS process for a test, and talk to it over HTTP."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from checkout_platform.storefront.client import Storefront
from checkout_platform.storefront.httpx_transports import HttpxTransport
from devstack.ports import free_port
from devstack.processes import ManagedProcess, ProcessSpec
from devstack.readiness import Probe, http_probe

REPO = Path(__file__).resolve().parents[2]
ADMIN_ID = "checkout-admin"
ADMIN_SECRET = "checkout-admin-secret"


@dataclass
class RunningService:
    name: str
    url: str
    process: ManagedProcess
    env: dict[str, str]

    async def ready(self) -> None:
        """Wait until its health check answers; stop it and raise if it never does."""
        try:
            await self.process.wait_ready(_health(self.env))
        except BaseException:
            self.process.stop(timeout=5.0)
            raise

    def stop(self) -> None:
        self.process.stop()

    def kill(self) -> None:
        self.process.kill()

    async def restart(self) -> None:
        self.process.stop()
        self.process = await start_process(self.name, self.env, self.process.log_path)


def _process(module: str, env: Mapping[str, str], log_path: Path) -> ManagedProcess:
    return ManagedProcess(
        ProcessSpec(
            name=module,
            argv=[sys.executable, "-m", module],
            log_path=log_path,
            cwd=REPO,
            env={"PYTHONPATH": str(REPO), **env},
            start_timeout=60,
        )
    )


def _health(env: Mapping[str, str]) -> Probe:
    return http_probe(f"http://127.0.0.1:{env['HTTP_PORT']}/health")


async def start_process(module: str, env: Mapping[str, str], log_path: Path) -> ManagedProcess:
    process = _process(module, env, log_path)
    await process.start(_health(env))
    return process


def spawn_service(module: str, env: Mapping[str, str], work_dir: Path) -> RunningService:
    """The service's process started but not waited for: several spawned at once start up side by
    side (each spends about a second of CPU importing), then each is awaited with `ready()`."""
    port = free_port()
    full_env = {"HTTP_PORT": str(port), "LOG_FORMAT": "json", "LOG_LEVEL": "INFO", **env}
    log_path = work_dir / f"{module.replace('.', '_')}-{port}.log"
    process = _process(module, full_env, log_path)
    process.spawn()
    return RunningService(module, f"http://127.0.0.1:{port}", process, full_env)


async def start_service(module: str, env: Mapping[str, str], work_dir: Path) -> RunningService:
    service = spawn_service(module, env, work_dir)
    await service.ready()
    return service


async def token(client: httpx.AsyncClient, *, admin: bool) -> str:
    return await Storefront(HttpxTransport(client)).token(ADMIN_ID, ADMIN_SECRET if admin else None)


async def authenticated_client(base_url: str, *, admin: bool) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base_url, timeout=30)
    bearer = await token(client, admin=admin)
    client.headers["Authorization"] = f"Bearer {bearer}"
    return client
