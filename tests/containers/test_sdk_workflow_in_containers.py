"""The seed's whole workflow through the official `@elasticpath/js-sdk` (tests/sdk's script, unchanged)
against the platform as containers/compose.yml runs it: images built from debian:bookworm-slim, every
container on the host network, the gateway on http://127.0.0.1:8080. The shopper's personal data is
sealed at rest (PII_MASTER_KEY, the `privacy` database) yet reads in clear through the API, and the
shipped order can be anonymised. Then `compose down` leaves no container of the project behind."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from devstack.apps import SERVICES
from shared.privacy.sealed_text import PREFIX
from tests.containers.composed import ComposedPlatform, composed_platform
from tests.containers.stored_text import rows_holding
from tests.sdk.workflow import assert_the_seed_workflow, run_workflow, sdk_installed  # noqa: F401
from tests.support.polling import poll_until

SHOPPER_EMAIL = "ron@example.com"  # the guest checkout_workflow.js checks out as


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
    await assert_the_shopper_is_sealed_at_rest_and_the_shipped_order_erasable(platform)


async def assert_the_shopper_is_sealed_at_rest_and_the_shipped_order_erasable(
    platform: ComposedPlatform,
) -> None:
    async with admin_client(platform) as admin:
        # The workflow's shipped order (an earlier run's, anonymised, is no longer found by email).
        orders = await poll_until(
            lambda: shipped_orders_of(admin, SHOPPER_EMAIL), lambda found: bool(found), timeout=90
        )
        assert orders, f"no shipped order of {SHOPPER_EMAIL} in the order list"
        assert {o["customer"]["email"] for o in orders} == {SHOPPER_EMAIL}  # the API opens it
        for service in SERVICES:
            clear = await rows_holding(platform.database_url(service), SHOPPER_EMAIL)
            assert not clear, f"{service}'s database holds the shopper's email in clear: {clear}"
        for order in orders:
            sealed = await rows_holding(platform.database_url("order"), f"{PREFIX}order:{order['id']}:")
            assert '"public"."events"' in sealed, sealed  # the facts are there, sealed under the order's key
        ids = [o["id"] for o in orders]
        answer = await admin.post("/v2/orders/anonymize", json={"data": {"order_ids": ids}})
        assert answer.status_code == 200, answer.text  # 501 where personal data is kept in clear
        for order_id in ids:
            erased = (await admin.get(f"/v2/orders/{order_id}")).json()["data"]
            assert erased["anonymized"] is True
            assert erased["customer"] == {"name": "*", "email": "*"}


@asynccontextmanager
async def admin_client(platform: ComposedPlatform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:
        form = {
            "grant_type": "client_credentials",
            "client_id": platform.client_id,
            "client_secret": platform.client_secret,
        }
        token = await client.post("/oauth/access_token", data=form)
        assert token.status_code == 200, token.text
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        yield client


async def shipped_orders_of(admin: httpx.AsyncClient, email: str) -> list[dict[str, Any]]:
    answer = await admin.get("/v2/orders", params={"filter": f"eq(email,{email})"})
    assert answer.status_code == 200, answer.text
    return [o for o in answer.json()["data"] if o["shipping"] == "fulfilled"]
