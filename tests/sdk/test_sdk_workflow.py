"""The seed's whole workflow through the official, unchanged `@elasticpath/js-sdk` under Node,
against the full stack behind the nginx gateway (`make start` as a fixture), with the manual
gateway and with Stripe PaymentIntents (localstripe)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from shared.settings import DEV_CLIENT_ID, DEV_CLIENT_SECRET

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def sdk_installed() -> Path:
    """`npm ci` the pinned SDK once (a fresh machine has no node_modules)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("Node.js and npm are needed for the SDK tests")
    if not (HERE / "node_modules" / "@elasticpath" / "js-sdk").exists():
        import subprocess

        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=300)
    return HERE


async def run_workflow(gateway_url: str, payment_gateway: str) -> list[dict]:
    env = {
        **os.environ,
        "EP_HOST": urlsplit(gateway_url).netloc,
        "CLIENT_ID": DEV_CLIENT_ID,
        "CLIENT_SECRET": DEV_CLIENT_SECRET,
        "PAYMENT_GATEWAY": payment_gateway,
    }
    process = await asyncio.create_subprocess_exec(
        "node",
        "checkout_workflow.js",
        cwd=HERE,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode == 0, f"{out.decode()}\n{err.decode()}"
    return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


@pytest.mark.parametrize("payment_gateway", ["manual", "stripe_payment_intents"])
async def test_the_seed_workflow_through_the_official_sdk(gateway_stack, sdk_installed, payment_gateway):
    steps = await run_workflow(gateway_stack.gateway_url, payment_gateway)
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
