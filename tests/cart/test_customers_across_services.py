"""A customer's profile and deletion as the order service sees them (real cart and order processes
on one Kafka).

Orders keep the customer as at checkout (EP's order list shows `customer.name`/`email` as they
were): a profile change reaches later orders only. A deleted customer's token is refused by the
order service too, once it reads the `CustomerDeleted` the deletion published (shared/auth/
revocations), also by a process started after the deletion, from its first request.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.cart.conftest import ADDRESS, create_product
from tests.cart.registered_customers import SignedIn, registered, unique_email
from tests.e2e.conftest import service_fixture, spawner  # noqa: F401 (spawner: the fixture service_fixture needs)
from tests.support.kafka import wait_for_envelope
from tests.support.polling import poll_until
from tests.support.services import authenticated_client

order_service = service_fixture("order", ORDER_CHECKOUT_WAIT_SECONDS="30")


@pytest.fixture(scope="module")
async def order_clients(order_service):
    admin = await authenticated_client(order_service.url, admin=True)
    shopper = await authenticated_client(order_service.url, admin=False)
    yield admin, shopper
    await admin.aclose()
    await shopper.aclose()


async def checkout_as(shopper: httpx.AsyncClient, admin: httpx.AsyncClient, customer: SignedIn) -> str:
    product = await create_product(admin, amount=1500)
    ref = uuid4().hex
    added = await shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
    )
    assert added.status_code in (200, 201), added.text
    body = {"customer": {"id": customer.id}, "billing_address": ADDRESS, "shipping_address": ADDRESS}
    order = await shopper.post(f"/v2/carts/{ref}/checkout", json={"data": body}, headers=customer.headers)
    assert order.status_code == 201, order.text
    order_id: str = order.json()["data"]["id"]
    return order_id


async def readable(order_admin: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    """The order once the order service has consumed its checkout (a positive marker)."""
    answer = await poll_until(
        lambda: order_admin.get(f"/v2/orders/{order_id}"), lambda r: r.status_code == 200
    )
    assert answer.status_code == 200, answer.text
    order: dict[str, Any] = answer.json()["data"]
    return order


async def test_orders_keep_the_customer_as_at_checkout_and_later_ones_carry_the_change(
    shopper, admin, order_clients
):
    order_admin, order_shopper = order_clients
    leslie = await registered(shopper, "Leslie Knope")
    first = await checkout_as(shopper, admin, leslie)
    assert (await readable(order_admin, first))["customer"]["name"] == "Leslie Knope"

    new_email = unique_email("knope-wyatt")
    changed = await shopper.put(
        f"/v2/customers/{leslie.id}",
        json={"data": {"type": "customer", "name": "Leslie Knope-Wyatt", "email": new_email}},
        headers=leslie.headers,
    )
    assert changed.status_code == 200, changed.text
    # an order placed after the change, read in the order service, proves it is past the change
    second = await checkout_as(shopper, admin, leslie)
    later = await readable(order_admin, second)
    assert (later["customer"]["name"], later["customer"]["email"]) == ("Leslie Knope-Wyatt", new_email)

    earlier = (await order_admin.get(f"/v2/orders/{first}")).json()["data"]
    assert (earlier["customer"]["name"], earlier["customer"]["email"]) == ("Leslie Knope", leslie.email)
    expected = {first: ("Leslie Knope", leslie.email), second: ("Leslie Knope-Wyatt", new_email)}

    async def listed() -> dict[str, tuple[str, str]]:  # the list is a read model: it lags the stream
        mine = await order_shopper.get("/v2/orders", headers=leslie.headers)
        assert mine.status_code == 200, mine.text
        return {o["id"]: (o["customer"]["name"], o["customer"]["email"]) for o in mine.json()["data"]}

    assert await poll_until(listed, lambda seen: seen.keys() >= expected.keys()) == expected


async def test_a_deleted_customers_token_is_refused_by_the_order_service_and_after_its_restart(
    shopper, admin, order_clients, order_service, kafka_bootstrap_servers, topic_prefix
):
    order_admin, order_shopper = order_clients
    ann, ben = await registered(shopper, "Ann Perkins"), await registered(shopper, "Ben Wyatt")
    order_id = await checkout_as(shopper, admin, ann)
    await readable(order_admin, order_id)
    assert (await order_shopper.get(f"/v2/orders/{order_id}", headers=ann.headers)).status_code == 200

    assert (await admin.delete(f"/v2/customers/{ann.id}")).status_code == 204
    assert (await shopper.get(f"/v2/customers/{ann.id}", headers=ann.headers)).status_code == 401  # at once
    published = await wait_for_envelope(
        kafka_bootstrap_servers,
        f"{topic_prefix}CustomerDeleted",
        lambda e: e.data.get("customer_id") == ann.id,
    )
    assert published.aggregate_id == ann.id and published.producer == "cart"

    refused = await poll_until(
        lambda: order_shopper.get("/v2/orders", headers=ann.headers), lambda r: r.status_code == 401
    )
    assert refused.status_code == 401, refused.text
    assert refused.json()["errors"][0]["status"] == 401
    assert (await order_shopper.get(f"/v2/orders/{order_id}", headers=ann.headers)).status_code == 401
    assert (await order_shopper.get("/v2/orders", headers=ben.headers)).status_code == 200  # only hers

    await order_service.restart()  # a process that starts after the deletion refuses it from the start
    restarted = await authenticated_client(order_service.url, admin=False)
    try:
        assert (await restarted.get("/v2/orders", headers=ann.headers)).status_code == 401
        assert (await restarted.get("/v2/orders", headers=ben.headers)).status_code == 200
    finally:
        await restarted.aclose()
