"""Runs a tests/sdk script (the official SDK, unchanged; `checkout_workflow.js` unless told) against one
platform and returns the steps it printed: the devstack's gateway and the composed containers both use it."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

SDK = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def sdk_installed() -> Path:
    """`npm ci` the pinned SDK once (a fresh machine has no node_modules)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("Node.js and npm are needed for the SDK tests")
    if not (SDK / "node_modules" / "@elasticpath" / "js-sdk").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=SDK, check=True, timeout=300)
    return SDK


async def run_workflow(
    gateway_url: str,
    client_id: str,
    client_secret: str,
    payment_gateway: str,
    *,
    base_env: Mapping[str, str] | None = None,
    timeout: float = 180,
    script: str = "checkout_workflow.js",
) -> list[dict[str, Any]]:
    """The script's JSON lines, one per step of the seed's workflow; fails on a non-zero exit."""
    env = {
        **(os.environ if base_env is None else base_env),
        "EP_HOST": urlsplit(gateway_url).netloc,
        "CLIENT_ID": client_id,
        "CLIENT_SECRET": client_secret,
        "PAYMENT_GATEWAY": payment_gateway,
    }
    process = await asyncio.create_subprocess_exec(
        "node",
        script,
        cwd=SDK,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode == 0, f"{out.decode()}\n{err.decode()}"
    return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


def assert_the_seed_workflow(steps: list[dict[str, Any]]) -> None:
    """What the seed says each step leaves: stock and the order's three statuses."""
    by_step = {s["step"][:2]: s for s in steps}
    assert by_step["3."]["stock"] == {"total": 10, "allocated": 0, "available": 10}
    assert by_step["3."]["order"] == {"status": "incomplete", "payment": "unpaid", "shipping": "unfulfilled"}
    assert by_step["4."]["stock"] == {"total": 10, "allocated": 3, "available": 7}
    assert by_step["4."]["order"] == {
        "status": "processing",
        "payment": "authorized",
        "shipping": "unfulfilled",
    }
    assert by_step["5."]["order"] == {"status": "complete", "payment": "paid", "shipping": "unfulfilled"}
    assert by_step["6."]["order"]["shipping"] == "fulfilled"
    assert by_step["6."]["stock"] == {"total": 7, "allocated": 0, "available": 7}
    assert "7." in by_step  # the shopper token was refused for every admin write
