"""The platform of containers/compose.yml, up for a test session and down (volumes too) after it.

Talks to the engine containers/engine.sh gives: an engine that already answers, or a private dockerd
it starts as root, stopped again at the end only when this session started it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from shared.messaging.kafka_security import BROKER, CLIENT_PRINCIPALS
from shared.privacy.master_keys import new_master_key

KAFKA_PRINCIPALS = (*CLIENT_PRINCIPALS, BROKER)
"""Each gets a fresh password (KAFKA_<NAME>_PASSWORD): the composed Kafka asks every client who it is."""
REPO = Path(__file__).resolve().parents[2]
ENGINE = REPO / "containers" / "engine.sh"
COMPOSE_FILE = REPO / "containers" / "compose.yml"
PROJECT = "checkout-platform-test"
GATEWAY = "http://127.0.0.1:8080"
POSTGRES = "127.0.0.1:15432"


@dataclass(frozen=True)
class ComposedPlatform:
    """What a test needs to reach the composed platform."""

    url: str
    client_id: str
    client_secret: str
    env: dict[str, str]

    def database_url(self, database: str) -> str:
        """A database of the composed PostgreSQL (a service's, or `privacy`), as its owner reaches it."""
        return f"postgresql://postgres:{self.env['POSTGRES_PASSWORD']}@{POSTGRES}/{database}"


def engine_env() -> dict[str, str]:
    """The environment with DOCKER_HOST pointing at the private engine when one of ours runs."""
    line = subprocess.run([ENGINE, "env"], check=True, capture_output=True, text=True).stdout.strip()
    env = dict(os.environ)
    if line:
        key, value = line.removeprefix("export ").split("=", 1)
        env[key] = value
    return env


def compose_command() -> list[str]:
    """Compose v2 (`docker compose`) when present, else Debian's docker-compose."""
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
    if probe.returncode == 0:
        return ["docker", "compose"]
    found = shutil.which("docker-compose")
    assert found, "neither `docker compose` nor docker-compose is installed (apt-get install docker-compose)"
    return [found]


def wait_for_gateway(deadline_seconds: float) -> None:
    """Until the gateway answers a token request through to the cart service (any HTTP answer)."""
    deadline = time.monotonic() + deadline_seconds
    last: object = None
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{GATEWAY}/v2/products", timeout=3)
            return
        except urllib.error.HTTPError as error:
            if error.code in (401, 403):  # a service answered: routed and up
                return
            last = error
        except OSError as error:
            last = error
        time.sleep(1)
    raise AssertionError(f"the gateway on {GATEWAY} did not answer in {deadline_seconds} s: {last}")


@contextmanager
def composed_platform() -> Iterator[ComposedPlatform]:
    """`compose up` with fresh secrets, yield, then `compose down -v`, which must leave no container of
    the project (then stop the engine if this started it)."""
    ours_before = bool(engine_env().get("DOCKER_HOST", "").endswith("checkout-platform-docker/docker.sock"))
    subprocess.run([ENGINE, "start"], check=True)
    env = engine_env()
    started_engine = not ours_before and env.get("DOCKER_HOST", "").endswith(
        "checkout-platform-docker/docker.sock"
    )
    client_secret = secrets.token_urlsafe(24)
    env |= {
        "JWT_SECRET": secrets.token_urlsafe(48),
        "CLIENT_ID": "checkout-admin",
        "CLIENT_SECRET": client_secret,
        "ORDER_ID_SECRET": secrets.token_urlsafe(32),
        "STRIPE_WEBHOOK_SECRET": f"whsec_{secrets.token_hex(16)}",
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "PII_MASTER_KEY": new_master_key(),
        **{
            f"KAFKA_{principal.upper()}_PASSWORD": secrets.token_urlsafe(24) for principal in KAFKA_PRINCIPALS
        },
    }
    compose = [*compose_command(), "-p", PROJECT, "-f", str(COMPOSE_FILE)]
    try:
        subprocess.run([*compose, "up", "-d"], check=True, env=env, timeout=900)
        wait_for_gateway(300)
        yield ComposedPlatform(GATEWAY, "checkout-admin", client_secret, env)
    finally:
        logs = subprocess.run([*compose, "logs", "--no-color", "--tail", "50"], env=env, capture_output=True)
        (REPO / ".devstack").mkdir(exist_ok=True)
        (REPO / ".devstack" / "containers-compose.log").write_bytes(logs.stdout + logs.stderr)
        subprocess.run([*compose, "down", "-v", "--remove-orphans"], env=env, check=True, timeout=300)
        left = subprocess.run(
            ["docker", "ps", "-a", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        if started_engine:
            subprocess.run([ENGINE, "stop"], check=False)
        assert not left, f"containers of {PROJECT} left after `compose down`: {left}"
