"""``python -m devstack start|status|stop|run`` as a developer runs them, in subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack.processes import ProcessRecord
from tests.devstack.exports import SERVER_ENDPOINTS
from tests.support.commands import REPO, run_module


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SERVER_ENDPOINTS and k != "CHECKOUT_USE_TESTCONTAINERS"
    }
    env["DEVSTACK_DIR"] = str(tmp_path / "home")
    env["PYTHONPATH"] = str(REPO)
    env["DEVSTACK_SERVERS_ONLY"] = "1"  # these tests are about the servers; tests/gateway covers the apps
    return env


def _devstack(env: dict[str, str], *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return run_module("devstack", *args, env=env, timeout=timeout)


def _records(home: Path) -> list[ProcessRecord]:
    data = json.loads((home / "state.json").read_text())
    return [ProcessRecord.from_json(r) for r in data["apps"] + data["servers"]]


def _exports(stdout: str) -> dict[str, str]:
    pairs = [
        line.removeprefix("export ").split("=", 1)
        for line in stdout.splitlines()
        if line.startswith("export ")
    ]
    return dict(pairs)


def test_start_status_stop(cli_env: dict[str, str]):
    home = Path(cli_env["DEVSTACK_DIR"])
    try:
        started = _devstack(cli_env, "start")
        assert started.returncode == 0, started.stderr
        exports = _exports(started.stdout)
        assert set(exports) == set(SERVER_ENDPOINTS)
        assert "kafka ready on" in started.stderr

        records = _records(home)
        assert sorted(r.name for r in records) == ["kafka", "localstripe", "postgres"]
        assert all(r.is_alive() for r in records)  # they outlived the command that started them

        status = _devstack(cli_env, "status")
        assert status.returncode == 0, status.stdout + status.stderr
        assert status.stdout.count("running") == 3

        again = _devstack(cli_env, "start")  # idempotent while healthy
        assert again.returncode == 0
        assert _exports(again.stdout) == exports

        cleanup = json.loads((home / "state.json").read_text())["cleanup"]
    finally:
        stopped = _devstack(cli_env, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert not any(r.is_alive() for r in records)
    assert not (home / "state.json").exists()
    assert not any(Path(p).exists() for p in cleanup)
    assert _devstack(cli_env, "status").returncode == 3


def test_run_in_foreground_until_sigterm(cli_env: dict[str, str]):
    home = Path(cli_env["DEVSTACK_DIR"])
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack", "run"],
        env=cli_env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        exports: dict[str, str] = {}
        deadline = time.monotonic() + 240
        while len(exports) < len(SERVER_ENDPOINTS) and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            exports.update(_exports(line))
        assert set(exports) == set(SERVER_ENDPOINTS)
        records = _records(home)
        assert all(r.is_alive() for r in records)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            _devstack(cli_env, "stop")
    assert not any(r.is_alive() for r in records)
    assert not (home / "state.json").exists()
