"""The seed's whole workflow through the official `@elasticpath/js-sdk` (tests/sdk's script, unchanged)
against the platform as containers/compose.yml runs it: images built from debian:bookworm-slim, every
container on the host network, the gateway on http://127.0.0.1:8080. Then `compose down` leaves no
container of the project behind."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.containers.composed import ComposedPlatform, composed_platform
from tests.sdk.test_sdk_workflow import sdk_installed  # noqa: F401  (the fixture: `npm ci` once)

SDK = Path(__file__).resolve().parents[1] / "sdk"


@pytest.fixture(scope="module")
def platform() -> Iterator[ComposedPlatform]:
    with composed_platform() as composed:
        yield composed


async def run_workflow(platform: ComposedPlatform, payment_gateway: str) -> list[dict]:
    env = {
        **platform.env,
        "EP_HOST": urlsplit(platform.url).netloc,
        "CLIENT_ID": platform.client_id,
        "CLIENT_SECRET": platform.client_secret,
        "PAYMENT_GATEWAY": payment_gateway,
    }
    process = await asyncio.create_subprocess_exec(
        "node",
        "checkout_workflow.js",
        cwd=SDK,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 300)
    assert process.returncode == 0, f"{out.decode()}\n{err.decode()}"
    return [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]


@pytest.mark.parametrize("payment_gateway", ["manual", "stripe_payment_intents"])
async def test_the_seed_workflow_through_the_sdk_against_compose(platform, sdk_installed, payment_gateway):  # noqa: F811
    steps = await run_workflow(platform, payment_gateway)
    by_step = {s["step"][:2]: s for s in steps}
    assert by_step["3."]["stock"] == {"total": 10, "allocated": 0, "available": 10}
    assert by_step["4."]["order"] == {
        "status": "processing",
        "payment": "authorized",
        "shipping": "unfulfilled",
    }
    assert by_step["5."]["order"] == {"status": "complete", "payment": "paid", "shipping": "unfulfilled"}
    assert by_step["6."]["order"]["shipping"] == "fulfilled"
    assert by_step["6."]["stock"] == {"total": 7, "allocated": 0, "available": 7}
    assert "7." in by_step  # the shopper token was refused for every admin write
