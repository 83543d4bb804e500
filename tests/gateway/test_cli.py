"""``python -m devstack start`` / ``stop`` as ``make start`` / ``make stop`` run them, services and gateway
included: everything answers through the gateway, and nothing is left behind afterwards."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from uuid import uuid4

import httpx

from devstack import proctable
from devstack.apps import GATEWAY, SERVICES
from devstack.ports import free_port
from devstack.processes import ProcessRecord
from tests.support.commands import REPO, run_module

# Only Kafka is shared with the session (it is the slow one to start); the command starts its own
# PostgreSQL and localstripe, and its services use their own topic prefix.
CLEARED = ("DATABASE_URL", "STRIPE_API_BASE", "STRIPE_API_KEY", "CHECKOUT_USE_TESTCONTAINERS")


def _devstack(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_module("devstack", *args, env=env, timeout=240)


def _records(home: Path) -> list[ProcessRecord]:
    data = json.loads((home / "state.json").read_text())
    return [ProcessRecord.from_json(r) for r in data["apps"] + data["servers"]]


def test_start_then_stop_leaves_no_process_behind(kafka_bootstrap_servers: str, tmp_path: Path):
    home = tmp_path / "home"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in CLEARED and not k.startswith("DEVSTACK_")}
    env |= {
        "DEVSTACK_DIR": str(home),
        "PYTHONPATH": str(REPO),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "TOPIC_PREFIX": f"cli{uuid4().hex[:8]}.",
        "GATEWAY_PORT": str(port),
    }
    family: dict[int, int] = {}
    try:
        started = _devstack(env, "start")
        assert started.returncode == 0, started.stderr
        url = f"http://127.0.0.1:{port}"
        assert f"export EP_URL={url}" in started.stdout
        assert f"Elastic Path API: {url}" in started.stderr
        assert "client_id=checkout-admin -d client_secret=checkout-admin-secret" in started.stderr

        records = _records(home)
        names = [r.name for r in records]
        assert names[: len(SERVICES) + 1] == [*SERVICES, GATEWAY]
        assert {"postgres", "localstripe"} <= set(names)
        for record in records:  # every process of every family: nginx workers, postgres backends...
            family |= proctable.family(record.pid, record.start_time)
        assert all(r.is_alive() for r in records)  # they outlived the command that started them

        token = httpx.post(
            f"{url}/oauth/access_token",
            data={
                "grant_type": "client_credentials",
                "client_id": "checkout-admin",
                "client_secret": "checkout-admin-secret",
            },
            timeout=30,
        )
        assert token.status_code == 200, token.text

        status = _devstack(env, "status")
        assert status.returncode == 0, status.stdout + status.stderr
        for name in names:
            assert f"{name} " in status.stdout
        assert f"# Elastic Path API at {url}" in status.stdout
    finally:
        stopped = _devstack(env, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "stopping gateway, " in stopped.stderr  # the gateway first, then the services and servers
    left = [pid for pid, started_at in family.items() if proctable.is_alive(pid, started_at)]
    assert not left, [(pid, Path(f"/proc/{pid}/cmdline").read_bytes()) for pid in left]
    assert not (home / "state.json").exists()
    assert _devstack(env, "status").returncode == 3
