"""Running `checkout-admin` as an operator would: a separate process pointed at the stack."""

from __future__ import annotations

import asyncio
import os
import sys

from tests.support.services import REPO, RunningService

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none"


def admin_environment(
    services: dict[str, RunningService], kafka_bootstrap_servers: str, topic_prefix: str
) -> dict[str, str]:
    """The environment `checkout-admin` reads: Kafka, the prefix, each service's database (a
    service that does not run here gets an address nobody answers on)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "TOPIC_PREFIX": topic_prefix,
    }
    for name in ("cart", "order", "payment", "inventory", "fulfillment"):
        service = services.get(name)
        env[f"{name.upper()}_DATABASE_URL"] = service.env["DATABASE_URL"] if service else UNREACHABLE
    return env


async def admin_result(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run one `checkout-admin` command that may fail: exit status, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "checkout_admin",
        *args,
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def run_admin(env: dict[str, str], *args: str) -> str:
    """Run one `checkout-admin` command; it must succeed. Returns what it printed."""
    code, out, err = await admin_result(env, *args)
    assert code == 0, (args, out, err)
    return out
