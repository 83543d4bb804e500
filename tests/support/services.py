"""Run a service of this repository as a real OS process for a test, and talk to it over HTTP."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devstack.ports import free_port
from devstack.processes import ManagedProcess, ProcessSpec
from devstack.readiness import http_probe

REPO = Path(__file__).resolve().parents[2]
ADMIN_ID = "checkout-admin"
ADMIN_SECRET = "checkout-admin-secret"


@dataclass
class RunningService:
    name: str
    url: str
    process: ManagedProcess
    env: dict[str, str]

    def stop(self) -> None:
        self.process.stop()

    def kill(self) -> None:
        self.process.kill()

    async def restart(self) -> None:
        self.process.stop()
        self.process = await start_process(self.name, self.env, self.process.log_path)


async def start_process(module: str, env: Mapping[str, str], log_path: Path) -> ManagedProcess:
    process = ManagedProcess(
        ProcessSpec(
            name=module,
            argv=[sys.executable, "-m", module],
            log_path=log_path,
            cwd=REPO,
            env={"PYTHONPATH": str(REPO), **env},
            start_timeout=60,
        )
    )
    await process.start(http_probe(f"http://127.0.0.1:{env['HTTP_PORT']}/health"))
    return process


async def start_service(module: str, env: Mapping[str, str], work_dir: Path) -> RunningService:
    port = free_port()
    full_env = {"HTTP_PORT": str(port), "LOG_FORMAT": "json", "LOG_LEVEL": "INFO", **env}
    log_path = work_dir / f"{module.replace('.', '_')}-{port}.log"
    process = await start_process(module, full_env, log_path)
    return RunningService(module, f"http://127.0.0.1:{port}", process, full_env)


async def token(client: httpx.AsyncClient, *, admin: bool) -> str:
    form = {"grant_type": "client_credentials", "client_id": ADMIN_ID, "client_secret": ADMIN_SECRET}
    if not admin:
        form = {"grant_type": "implicit", "client_id": ADMIN_ID}
    response = await client.post("/oauth/access_token", data=form)
    response.raise_for_status()
    value: Any = response.json()["access_token"]
    return str(value)


async def authenticated_client(base_url: str, *, admin: bool) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base_url, timeout=30)
    bearer = await token(client, admin=admin)
    client.headers["Authorization"] = f"Bearer {bearer}"
    return client
