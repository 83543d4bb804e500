"""The seed's whole workflow through the official, unchanged `@elasticpath/js-sdk` under Node,
against the full stack behind the nginx gateway (`make start` as a fixture), with the manual
gateway and with Stripe PaymentIntents (localstripe)."""

from __future__ import annotations

import pytest

from shared.settings import DEV_CLIENT_ID, DEV_CLIENT_SECRET
from tests.sdk.workflow import assert_the_seed_workflow, run_workflow, sdk_installed  # noqa: F401


@pytest.mark.parametrize("payment_gateway", ["manual", "stripe_payment_intents"])
async def test_the_seed_workflow_through_the_official_sdk(gateway_stack, sdk_installed, payment_gateway):  # noqa: F811
    steps = await run_workflow(gateway_stack.gateway_url, DEV_CLIENT_ID, DEV_CLIENT_SECRET, payment_gateway)
    assert_the_seed_workflow(steps)
