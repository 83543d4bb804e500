"""`checkout-admin` against a live stack (cart, order, fulfilment as processes, real Kafka and
Postgres): rebuild while serving, replay from offset 0 changes nothing, dead letters listed,
retried once fixed, and one order's whole story across services."""

from __future__ import annotations

import asyncio
import os
import sys
from uuid import uuid4

import asyncpg
import pytest

from shared.contracts.events import ProductPublished
from tests.cart.conftest import ADDRESS, create_product
from tests.e2e.test_shipping import FULFIL, pay_in_full, wait_for_payment
from tests.support.kafka import publish_event
from tests.support.services import REPO, authenticated_client


@pytest.fixture(scope="module")
async def clients(cart_service, order_service, fulfillment_service):
    clients = [
        await authenticated_client(cart_service.url, admin=True),
        await authenticated_client(cart_service.url, admin=False),
        await authenticated_client(order_service.url, admin=True),
    ]
    yield clients
    for client in clients:
        await client.aclose()


@pytest.fixture(scope="module")
def admin_env(cart_service, order_service, fulfillment_service, kafka_bootstrap_servers, topic_prefix):
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "TOPIC_PREFIX": topic_prefix,
    }
    for name, service in (
        ("cart", cart_service),
        ("order", order_service),
        ("fulfillment", fulfillment_service),
    ):
        env[f"{name.upper()}_DATABASE_URL"] = service.env["DATABASE_URL"]
    for absent in ("payment", "inventory"):
        env[f"{absent.upper()}_DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/none"
    return env


async def admin(env: dict[str, str], *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "checkout_admin",
        *args,
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, (args, out.decode(), err.decode())
    return out.decode()


async def orders_table(order_service) -> list[tuple]:
    conn = await asyncpg.connect(order_service.env["DATABASE_URL"])
    try:
        rows = await conn.fetch("SELECT * FROM proj_orders.orders ORDER BY id")
        return [tuple(r) for r in rows]
    finally:
        await conn.close()


async def a_shipped_order(clients, kafka, prefix) -> dict:
    cart_admin, cart_shopper, order_admin = clients
    product = await create_product(cart_admin, amount=1500)
    ref = uuid4().hex
    await cart_shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
    )
    order = (
        await cart_shopper.post(
            f"/v2/carts/{ref}/checkout",
            json={
                "data": {
                    "customer": {"name": "Chris Traeger", "email": "chris@example.com"},
                    "billing_address": ADDRESS,
                }
            },
        )
    ).json()["data"]
    await order_admin.get(f"/v2/orders/{order['id']}")
    await pay_in_full(order, kafka, prefix)
    await wait_for_payment(order_admin, order["id"], "paid")
    assert (await order_admin.put(f"/v2/orders/{order['id']}", json=FULFIL)).status_code == 200
    return order


async def test_rebuild_and_replay_leave_the_read_models_unchanged(
    clients, order_service, admin_env, kafka_bootstrap_servers, topic_prefix
):
    orders = [await a_shipped_order(clients, kafka_bootstrap_servers, topic_prefix) for _ in range(3)]
    await asyncio.sleep(1.0)  # let the projection take in the last shipments
    before = await orders_table(order_service)
    assert {o["id"] for o in orders} <= {row[0] for row in before}

    status = await admin(admin_env, "projections", "status")
    assert "order" in status and "orders" in status and "catalogue" in status
    rebuilt = await admin(admin_env, "projections", "rebuild", "order", "orders")
    assert "rebuilt order/orders" in rebuilt and "events/s" in rebuilt
    assert await orders_table(order_service) == before

    replayed = await admin(admin_env, "replay", "CartCheckedOut", "--to", "order", "--from-offset", "0")
    read, already = (int(word) for word in replayed.split()[0:4:3])
    assert read >= 3 and already == read  # everything was applied before: nothing changes
    assert await orders_table(order_service) == before
    dry = await admin(admin_env, "replay", "OrderShipped", "--to", "order", "--from-offset", "0", "--dry-run")
    assert "would apply 0" in dry


async def test_streams_show_tells_one_orders_story_across_services(
    clients, admin_env, kafka_bootstrap_servers, topic_prefix
):
    order = await a_shipped_order(clients, kafka_bootstrap_servers, topic_prefix)
    await asyncio.sleep(0.5)
    story = await admin(admin_env, "streams", "show", order["id"])
    for expected in (
        "CartItemAdded",
        "CartCheckedOut",
        "OrderPlaced",
        "TransactionCaptured",
        "OrderCompleted",
        "FulfilmentRequested",
        "ShipmentDispatched",
    ):
        assert expected in story, story
    assert story.index("CartCheckedOut") < story.index("OrderPlaced") < story.index("ShipmentDispatched")


async def test_a_dead_letter_is_listed_with_its_reason_and_retried_once_the_cause_is_fixed(
    clients, cart_service, admin_env, kafka_bootstrap_servers, topic_prefix
):
    cart_admin, cart_shopper, _ = clients
    taken = await create_product(cart_admin)
    product_id = str(uuid4())
    clash = ProductPublished(
        product_id=product_id,
        sku=taken["sku"],
        name="Clashing import",
        price=[{"amount": 900, "currency": "USD", "includes_tax": False}],
    )
    await publish_event(kafka_bootstrap_servers, topic_prefix, clash, product_id, "pim")

    ref = None
    for _ in range(100):
        listing = await admin(admin_env, "dlq", "list")
        line = next((ln for ln in listing.splitlines() if "ProductPublished" in ln and "sku" in ln), None)
        if line:
            ref = line.split()[0]
            break
        await asyncio.sleep(0.2)
    assert ref is not None, listing
    shown = await admin(admin_env, "dlq", "show", ref)
    assert "dlq.reason" in shown and product_id in shown

    # Fix the cause: the sku is freed, then the import is retried and applies once.
    assert (await cart_admin.delete(f"/v2/products/{taken['id']}")).status_code == 204
    assert ref in (await admin(admin_env, "dlq", "retry", ref))
    for _ in range(100):
        response = await cart_shopper.get(f"/v2/products/{product_id}")
        if response.status_code == 200:
            break
        await asyncio.sleep(0.1)
    assert response.status_code == 200 and response.json()["data"]["name"] == "Clashing import"
    assert ref not in (await admin(admin_env, "dlq", "list"))
