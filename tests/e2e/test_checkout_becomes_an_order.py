"""Checkout in the cart service becomes exactly one order in the order service, over Kafka:
readable at once, listable by admins and by its own customer only, cancellable by admins."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from tests.cart.conftest import ADDRESS, create_product
from tests.support.kafka import wait_for_envelope
from tests.support.openapi import validate_response
from tests.support.polling import poll_until
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


async def consumed(order_admin, order_id: str) -> None:
    """Wait until the order service has consumed the checkout: its reads wait a few seconds for an
    order, and on a busy machine the consumer can lag more than that."""
    answer = await poll_until(
        lambda: order_admin.get(f"/v2/orders/{order_id}"), lambda r: r.status_code == 200
    )
    assert answer.status_code == 200, answer.text


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
    listed = await poll_until(
        lambda: order_admin.get("/v2/orders?filter=eq(status,incomplete)&page[limit]=100"),
        lambda r: {mine["id"], other["id"]} <= {o["id"] for o in r.json()["data"]},
    )
    assert {mine["id"], other["id"]} <= {o["id"] for o in listed.json()["data"]}, listed.text
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
    await consumed(order_admin, placed["id"])
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
    # An unknown id's 404, after the checkout wait (30 s here), is tested where the wait is 3 s:
    # tests/order/test_no_cancel_once_fulfilment_is_requested.py


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
    listed = await poll_until(
        lambda: order_admin.get("/v2/orders?filter=eq(email,donna@example.com)&page[limit]=100"),
        lambda r: bool(r.json()["data"]),
    )
    assert [o["id"] for o in listed.json()["data"]].count(order_id) == 1, listed.text


async def test_services_expose_prometheus_metrics(clients, cart_service, order_service):
    import httpx

    cart_admin, cart_shopper, _, _ = clients
    await checkout(cart_admin, cart_shopper, {"name": "Jerry", "email": "jerry@example.com"})
    wanted = {
        "cart": [
            'http_request_duration_seconds_count{method="POST",route="/v2/carts/{ref}/checkout"',
            "events_appended_total",
            "outbox_published_total",
        ],
        "order": ['consumer_messages_total{consumer="order",outcome="applied"}'],
    }

    def value(text: str, prefix: str) -> float | None:
        lines = [ln for ln in text.splitlines() if ln.startswith(prefix)]
        return float(lines[0].rsplit(" ", 1)[1]) if lines else None

    def counted(texts: dict[str, str]) -> dict[str, float | None]:
        return {
            prefix: value(texts[name], prefix) for name, prefixes in wanted.items() for prefix in prefixes
        }

    async def scrape() -> dict[str, str]:
        # Counters move after the fact: the request's duration once its response is sent, the
        # relay's and the consumer's once their work is committed.
        async with httpx.AsyncClient() as plain:
            return {
                "cart": (await plain.get(f"{cart_service.url}/metrics")).text,
                "order": (await plain.get(f"{order_service.url}/metrics")).text,
            }

    texts = await poll_until(scrape, lambda t: all((v or 0) >= 1 for v in counted(t).values()))
    assert all((v or 0) >= 1 for v in counted(texts).values()), counted(texts)
