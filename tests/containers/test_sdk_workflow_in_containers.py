"""The seed's whole workflow through the official `@elasticpath/js-sdk` (tests/sdk's script, unchanged)
against the platform as containers/compose.yml runs it: images built from debian:bookworm-slim, every
container on the host network, the gateway on http://127.0.0.1:8080. Then `compose down` leaves no
container of the project behind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.containers.composed import ComposedPlatform, composed_platform
from tests.sdk.workflow import assert_the_seed_workflow, run_workflow, sdk_installed  # noqa: F401


@pytest.fixture(scope="module")
def platform() -> Iterator[ComposedPlatform]:
    with composed_platform() as composed:
        yield composed


@pytest.mark.parametrize("payment_gateway", ["manual", "stripe_payment_intents"])
async def test_the_seed_workflow_through_the_sdk_against_compose(platform, sdk_installed, payment_gateway):  # noqa: F811
    steps = await run_workflow(
        platform.url,
        platform.client_id,
        platform.client_secret,
        payment_gateway,
        base_env=platform.env,
        timeout=300,
    )
    assert_the_seed_workflow(steps)
