"""A gateway an admin disables through one payment instance is refused by every other instance at
once (issue 14): the configuration is read from the shared event store at each payment, never kept
in a process, so no instance goes on taking payments with a gateway the merchant switched off."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from tests.payment.bus import Bus
from tests.payment.calls import client_of, error, pay, transactions
from tests.payment.checkouts import check_out
from tests.payment.service import payment_environment, start_payment_service


async def _switch(admin: httpx.AsyncClient, enabled: bool) -> None:
    answer = await admin.put("/v2/gateways/manual", json={"data": {"type": "gateway", "enabled": enabled}})
    assert answer.status_code == 200 and answer.json()["data"]["enabled"] is enabled, answer.text


async def test_a_gateway_disabled_through_one_instance_is_refused_by_the_other(
    postgres: Any, kafka_bootstrap_servers: str, localstripe_url: str, tmp_path: Path
) -> None:
    prefix = f"paytwo{uuid4().hex[:8]}."
    env = await payment_environment(postgres, kafka_bootstrap_servers, prefix, localstripe_url)
    first = await start_payment_service(env, tmp_path)
    second = await start_payment_service(env, tmp_path)  # the same database and consumer group
    try:
        async with Bus(kafka_bootstrap_servers, prefix) as bus:
            order = await check_out(bus)
            async with (
                client_of(first.url, admin=True) as admin_on_first,
                client_of(second.url, admin=False) as shopper_on_second,
            ):
                # the second instance has taken a manual payment already:
                # a process that kept the setting has it
                warm = await check_out(bus)
                paid_before = await pay(
                    shopper_on_second, warm.order_id, gateway="manual", method="authorize"
                )
                assert paid_before.status_code == 200, paid_before.text

                await _switch(admin_on_first, enabled=False)
                refused = await pay(shopper_on_second, order.order_id, gateway="manual", method="authorize")
                assert refused.status_code == 400, refused.text
                assert (error(refused)["title"], error(refused)["source"]) == (
                    "Gateway not enabled",
                    "data.gateway",
                )
                assert await transactions(shopper_on_second, order.order_id) == []

                await _switch(admin_on_first, enabled=True)
                paid = await pay(shopper_on_second, order.order_id, gateway="manual", method="authorize")
                assert paid.status_code == 200, paid.text
    finally:
        first.stop()
        second.stop()
