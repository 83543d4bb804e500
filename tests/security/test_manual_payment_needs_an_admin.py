"""A shopper cannot mark an order paid without paying (issue 22, point 1).

The attack: the manual gateway records money taken outside the platform, and a shopper's token
(implicit, or a registered customer's) could `purchase` with it: the order became complete and
paid, nothing paid. Now a shopper's manual purchase is refused with Elastic Path's 403, nothing
recorded. What a real shop does still works: the shopper authorizes a manual payment (the order
waits, `processing`/`authorized`, its stock held), and the admin captures it once the money has come
(the order becomes `complete`/`paid`).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.conftest import client
from tests.security.ep_errors import assert_ep_error
from tests.security.responsiveness import assert_stayed_responsive, latencies_during, usual_latency
from tests.security.shoppers import check_out, consumed_everywhere, create_product, register_customer
from tests.support.polling import poll_until

ATTEMPTS = 40
"""Refused purchases sent while an unrelated read is timed."""


@pytest.fixture(scope="module")
async def product(services, admin_token) -> dict[str, Any]:
    return await create_product(services["cart"], admin_token)


async def _order_state(services, admin_token: str, order_id: str) -> tuple[str, str]:
    async with client(services["order"], admin_token) as admin:
        answer = await admin.get(f"/v2/orders/{order_id}")
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    return data["status"], data["payment"]


async def _wait_for_order_state(services, admin_token: str, order_id: str, wanted: tuple[str, str]) -> None:
    async def state() -> tuple[str, str]:
        return await _order_state(services, admin_token, order_id)

    reached = await poll_until(state, lambda s: s == wanted)
    assert reached == wanted, (order_id, reached)


@pytest.mark.parametrize("shopper", ["guest", "customer"])
async def test_a_shopper_cannot_purchase_with_the_manual_gateway_but_may_authorize_for_an_admin_to_capture(
    services, admin_token, shopper_token, product, shopper
):
    headers: dict[str, str] = {}
    buyer: dict[str, str] = {"name": "Mallory", "email": "mallory@example.com"}
    if shopper == "customer":
        customer = await register_customer(services["cart"], shopper_token)
        headers = {"X-Moltin-Customer-Token": customer.token}
        buyer = {"id": customer.id}
    order = await check_out(
        services["cart"], shopper_token, product["id"], buyer, headers.get("X-Moltin-Customer-Token")
    )
    await consumed_everywhere(services, admin_token, order["id"])
    payments = f"/v2/orders/{order['id']}/payments"
    purchase = {"data": {"gateway": "manual", "method": "purchase"}}

    async with (
        client(services["payment"], shopper_token, **headers) as as_shopper,
        client(services["payment"], shopper_token, **headers) as reader,
    ):

        async def read() -> None:
            answer = await reader.get(f"/v2/orders/{order['id']}/transactions")
            assert answer.status_code == 200, answer.text

        async def attack() -> list[Any]:
            return [await as_shopper.post(payments, json=purchase) for _ in range(ATTEMPTS)]

        usual = await usual_latency(read)
        refusals, during = await latencies_during(attack(), read)
        for refused in refusals:
            error = assert_ep_error(refused, 403)
            assert (error["title"], error["source"]) == ("Forbidden", "data.method"), error
        assert_stayed_responsive(usual, during)

        # Nothing recorded: no transaction (read from the payment service's event store).
        listed = await as_shopper.get(f"/v2/orders/{order['id']}/transactions")
        assert listed.status_code == 200 and listed.json()["data"] == [], listed.text

        # The shop's way: the shopper authorizes; the order waits for the money.
        authorized = await as_shopper.post(
            payments, json={"data": {"gateway": "manual", "method": "authorize"}}
        )
        assert authorized.status_code == 200, authorized.text
        txn = authorized.json()["data"]
        assert (txn["transaction_type"], txn["status"]) == ("authorize", "complete")
        await _wait_for_order_state(services, admin_token, order["id"], ("processing", "authorized"))
        # The order service has consumed the payments up to the authorisation: none of the refused
        # purchases reached it, and the payment service still holds the one transaction.
        listed = await as_shopper.get(f"/v2/orders/{order['id']}/transactions")
        assert [t["id"] for t in listed.json()["data"]] == [txn["id"]]

        shopper_capture = await as_shopper.post(f"/v2/orders/{order['id']}/transactions/{txn['id']}/capture")
        assert_ep_error(shopper_capture, 403)

    async with client(services["payment"], admin_token) as admin:
        captured = await admin.post(f"/v2/orders/{order['id']}/transactions/{txn['id']}/capture")
    assert captured.status_code == 200, captured.text
    assert captured.json()["data"]["transaction_type"] == "capture"
    await _wait_for_order_state(services, admin_token, order["id"], ("complete", "paid"))


async def test_an_admin_may_purchase_with_the_manual_gateway(services, admin_token, shopper_token, product):
    """The merchant records money received outside the platform (a bank transfer that arrived)."""
    order = await check_out(
        services["cart"], shopper_token, product["id"], {"name": "Ann", "email": "ann@example.com"}
    )
    await consumed_everywhere(services, admin_token, order["id"])
    async with client(services["payment"], admin_token) as admin:
        paid = await admin.post(
            f"/v2/orders/{order['id']}/payments", json={"data": {"gateway": "manual", "method": "purchase"}}
        )
    assert paid.status_code == 200, paid.text
    assert (paid.json()["data"]["transaction_type"], paid.json()["data"]["status"]) == (
        "purchase",
        "complete",
    )
    await _wait_for_order_state(services, admin_token, order["id"], ("complete", "paid"))
