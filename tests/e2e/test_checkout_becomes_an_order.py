"""Checkout in the cart service becomes exactly one order in the order service, over Kafka:
readable at once, listable by admins and by its own customer only, cancellable by admins."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from tests.cart.conftest import ADDRESS, create_product
from tests.support.kafka import wait_for_envelope
from tests.support.openapi import validate_response
from tests.support.services import authenticated_client


@pytest.fixture(scope="module")
async def clients(cart_service, order_service):
    cart_admin = await authenticated_client(cart_service.url, admin=True)
    cart_shopper = await authenticated_client(cart_service.url, admin=False)
    order_admin = await authenticated_client(order_service.url, admin=True)
    order_shopper = await authenticated_client(order_service.url, admin=False)
    yield cart_admin, cart_shopper, order_admin, order_shopper
    for client in (cart_admin, cart_shopper, order_admin, order_shopper):
        await client.aclose()


async def checkout(cart_admin, cart_shopper, customer: dict, customer_token: str | None = None) -> dict:
    product = await create_product(cart_admin, amount=3000)
    ref = uuid4().hex
    await cart_shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 2}}
    )
    response = await cart_shopper.post(
        f"/v2/carts/{ref}/checkout",
        json={"data": {"customer": customer, "billing_address": ADDRESS, "shipping_address": ADDRESS}},
        headers={"X-Moltin-Customer-Token": customer_token} if customer_token else {},
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def test_the_order_is_readable_right_after_checkout_and_equals_the_checkout_answer(clients):
    cart_admin, cart_shopper, _, order_shopper = clients
    placed = await checkout(cart_admin, cart_shopper, {"name": "Ann Perkins", "email": "ann@example.com"})
    response = await order_shopper.get(
        f"/v2/orders/{placed['id']}?include=items"
    )  # no sleep: read your writes
    assert response.status_code == 200, response.text
    order = response.json()["data"]
    assert (order["status"], order["payment"], order["shipping"]) == ("incomplete", "unpaid", "unfulfilled")
    assert order["meta"]["display_price"] == placed["meta"]["display_price"]
    assert order["id"] == placed["id"] and len(response.json()["included"]["items"]) == 1
    validate_response("carts-orders.yaml", "/v2/orders/{orderID}", "get", "200", response.json())
    items = await order_shopper.get(f"/v2/orders/{placed['id']}/items")
    validate_response("carts-orders.yaml", "/v2/orders/{orderID}/items", "get", "200", items.json())


async def test_admins_list_and_filter_orders_and_shoppers_only_see_their_own(clients):
    cart_admin, cart_shopper, order_admin, order_shopper = clients
    email = f"april.{uuid4().hex[:6]}@example.com"
    customer = (
        await cart_shopper.post(
            "/v2/customers",
            json={
                "data": {"type": "customer", "name": "April Ludgate", "email": email, "password": "p4ssw0rd"}
            },
        )
    ).json()["data"]
    token = (
        await cart_shopper.post(
            "/v2/customers/tokens", json={"data": {"type": "token", "email": email, "password": "p4ssw0rd"}}
        )
    ).json()["data"]["token"]
    mine = await checkout(cart_admin, cart_shopper, {"id": customer["id"]}, token)
    other = await checkout(cart_admin, cart_shopper, {"name": "Guest", "email": "guest@example.com"})
    await order_admin.get(f"/v2/orders/{other['id']}")  # both placed

    for _ in range(100):
        listed = await order_admin.get("/v2/orders?filter=eq(status,incomplete)&page[limit]=100")
        ids = {o["id"] for o in listed.json()["data"]}
        if {mine["id"], other["id"]} <= ids:
            break
        await asyncio.sleep(0.05)
    assert {mine["id"], other["id"]} <= ids
    assert listed.json()["meta"]["results"]["total"] >= 2

    own = await order_shopper.get("/v2/orders", headers={"X-Moltin-Customer-Token": token})
    assert [o["id"] for o in own.json()["data"]] == [mine["id"]]
    assert (await order_shopper.get("/v2/orders")).status_code == 403
    assert (await order_shopper.get(f"/v2/orders/{mine['id']}")).status_code == 404  # not without her token
    assert (
        await order_shopper.get(f"/v2/orders/{mine['id']}", headers={"X-Moltin-Customer-Token": token})
    ).status_code == 200
    bad_filter = await order_admin.get("/v2/orders?filter=eq(status")
    assert (
        bad_filter.status_code == 400
        and bad_filter.json()["errors"][0]["detail"] == "Could not parse the supplied filter"
    )


async def test_admins_cancel_an_unfulfilled_order_and_shoppers_cannot(
    clients, kafka_bootstrap_servers, topic_prefix
):
    cart_admin, cart_shopper, order_admin, order_shopper = clients
    placed = await checkout(cart_admin, cart_shopper, {"name": "Tom", "email": "tom@example.com"})
    body = {"data": {"type": "order", "status": "cancelled"}}
    refused = await order_shopper.put(f"/v2/orders/{placed['id']}", json=body)
    assert refused.status_code == 403
    cancelled = await order_admin.put(f"/v2/orders/{placed['id']}", json=body)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["data"]["status"] == "cancelled"
    validate_response("carts-orders.yaml", "/v2/orders/{orderID}", "put", "200", cancelled.json())
    envelope = await wait_for_envelope(
        kafka_bootstrap_servers, f"{topic_prefix}OrderCancelled", lambda e: e.data["order_id"] == placed["id"]
    )
    assert envelope.producer == "order"
    again = await order_admin.put(f"/v2/orders/{placed['id']}", json=body)
    assert again.status_code == 200 and again.json()["data"]["status"] == "cancelled"
    unknown = await order_admin.put(f"/v2/orders/{uuid4()}", json=body)
    assert unknown.status_code == 404


async def test_exactly_one_order_per_checkout_even_when_checkout_is_retried(
    clients, kafka_bootstrap_servers, topic_prefix
):
    cart_admin, cart_shopper, order_admin, _ = clients
    product = await create_product(cart_admin)
    ref = uuid4().hex
    await cart_shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
    )
    body = {"data": {"customer": {"name": "Donna", "email": "donna@example.com"}, "billing_address": ADDRESS}}
    answers = await asyncio.gather(
        *(cart_shopper.post(f"/v2/carts/{ref}/checkout", json=body) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    [order_id] = {a.json()["data"]["id"] for a in answers if a.status_code == 201}
    assert all(a.json()["errors"][0]["meta"]["order_id"] == order_id for a in answers if a.status_code == 409)
    await order_admin.get(f"/v2/orders/{order_id}")
    listed = await order_admin.get("/v2/orders?filter=eq(email,donna@example.com)&page[limit]=100")
    for _ in range(100):
        listed = await order_admin.get("/v2/orders?filter=eq(email,donna@example.com)&page[limit]=100")
        if listed.json()["data"]:
            break
        await asyncio.sleep(0.05)
    assert [o["id"] for o in listed.json()["data"]].count(order_id) == 1


async def test_services_expose_prometheus_metrics(clients, cart_service, order_service):
    import httpx

    cart_admin, cart_shopper, order_admin, _ = clients
    placed = await checkout(cart_admin, cart_shopper, {"name": "Jerry", "email": "jerry@example.com"})
    await order_admin.get(f"/v2/orders/{placed['id']}")
    async with httpx.AsyncClient() as plain:
        cart_metrics = (await plain.get(f"{cart_service.url}/metrics")).text
        order_metrics = (await plain.get(f"{order_service.url}/metrics")).text

    def value(text: str, prefix: str) -> float:
        lines = [ln for ln in text.splitlines() if ln.startswith(prefix)]
        assert lines, f"{prefix} missing"
        return float(lines[0].rsplit(" ", 1)[1])

    assert (
        value(
            cart_metrics, 'http_request_duration_seconds_count{method="POST",route="/v2/carts/{ref}/checkout"'
        )
        >= 1
    )
    assert value(cart_metrics, "events_appended_total") >= 1
    assert value(cart_metrics, "outbox_published_total") >= 1
    assert value(order_metrics, 'consumer_messages_total{consumer="order",outcome="applied"}') >= 1
