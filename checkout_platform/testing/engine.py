"""Which Docker engine the platform's containers run on.

Any engine that answers (``DOCKER_HOST``, else the default socket) is used as it is. Where none
answers and this is a source checkout run as root, ``containers/engine.sh start`` starts a private
dockerd (no bridge, no iptables: host network only), and only what started it stops it again.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

ENGINE_SCRIPT = Path(__file__).resolve().parents[2] / "containers" / "engine.sh"


class NoDockerEngine(RuntimeError):
    """No engine answers and none could be started here."""


@dataclass(frozen=True)
class Engine:
    """The engine's address (``None``: docker's own default) and whether this process started it."""

    docker_host: str | None
    private: bool
    started_here: bool

    def stop_if_started_here(self) -> None:
        """Stop the private dockerd, only when this process started it."""
        if self.started_here:
            subprocess.run([str(ENGINE_SCRIPT), "stop"], check=False, timeout=120)


def answers(docker_host: str | None) -> bool:
    """True when an engine at `docker_host` (or docker's default) answers a ping."""
    import docker  # type: ignore[import-untyped]

    try:
        client = (
            docker.DockerClient(base_url=docker_host, timeout=10)
            if docker_host
            else docker.from_env(timeout=10)
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # any failure to reach it means: no engine there
        return False


def _private_socket() -> str | None:
    """DOCKER_HOST of the private dockerd when ours runs (`engine.sh env`), else None."""
    if not ENGINE_SCRIPT.exists():
        return None
    line = subprocess.run(
        [str(ENGINE_SCRIPT), "env"], check=True, capture_output=True, text=True
    ).stdout.strip()
    return line.split("=", 1)[1] if line else None


def find_engine() -> Engine:
    """The engine to use: the one DOCKER_HOST or the default socket names, else ours (started when needed)."""
    configured = os.environ.get("DOCKER_HOST") or None
    running = _private_socket()
    if running and configured in (None, running) and answers(running):
        return Engine(running, private=True, started_here=False)
    if answers(configured):
        return Engine(configured, private=False, started_here=False)
    if not ENGINE_SCRIPT.exists() or os.geteuid() != 0:
        raise NoDockerEngine(
            f"no Docker engine answers (DOCKER_HOST={configured or 'unset'}); start one, or run as root in "
            "a checkout of the platform, where containers/engine.sh starts a private dockerd"
        )
    subprocess.run([str(ENGINE_SCRIPT), "start"], check=True, timeout=600)
    started = _private_socket()
    if not started:
        raise NoDockerEngine("containers/engine.sh start ran, but no private dockerd runs")
    return Engine(started, private=True, started_here=True)
