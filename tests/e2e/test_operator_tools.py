"""`checkout-admin dlq` against a live stack (the cart as a process, real Kafka and
Postgres): a poison import is listed with its reason and applied once after its cause is fixed.
Rebuild, replay and `streams show` over all five services: test_every_read_model_and_topic.py."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from shared.contracts.envelope import Envelope
from shared.contracts.events import ProductPublished
from shared.messaging.kafka_security import kafka_client_options
from tests.cart.conftest import create_product
from tests.e2e.operator import run_admin
from tests.security.fuzz_messages import LARGEST_ACCEPTED_VALUE
from tests.support.kafka import publish_event
from tests.support.polling import poll_until
from tests.support.settling import services_settled


@pytest.fixture(scope="module")
def services(cart_service):
    """The cart alone, for `admin_env` (tests/e2e/conftest.py)."""
    return {"cart": cart_service}


admin = run_admin


async def imported(cart_shopper, product_id: str) -> httpx.Response:
    """The product's page once the cart has consumed the retried import (or the last answer after
    a minute): the retry only republishes it, the cart applies it later."""
    return await poll_until(
        lambda: cart_shopper.get(f"/v2/products/{product_id}"), lambda r: r.status_code == 200
    )


async def test_a_dead_letter_is_listed_with_its_reason_and_retried_once_the_cause_is_fixed(
    cart_clients, cart_service, admin_env, kafka_bootstrap_servers, topic_prefix
):
    cart_admin, cart_shopper = cart_clients
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
    response = await imported(cart_shopper, product_id)
    assert response.status_code == 200 and response.json()["data"]["name"] == "Clashing import"
    assert ref not in (await admin(admin_env, "dlq", "list"))


async def test_a_discarded_dead_letter_leaves_the_list_and_is_never_applied(
    cart_clients, cart_service, admin_env, kafka_bootstrap_servers, topic_prefix
):
    cart_admin, cart_shopper = cart_clients
    taken = await create_product(cart_admin)
    product_id = str(uuid4())
    clash = ProductPublished(product_id=product_id, sku=taken["sku"], name="Unwanted import")
    await publish_event(kafka_bootstrap_servers, topic_prefix, clash, product_id, "pim")

    ref = None
    for _ in range(100):
        listing = await admin(admin_env, "dlq", "list")
        ref = next(
            (ln.split()[0] for ln in listing.splitlines() if product_id[:8] in ln or "sku" in ln), None
        )
        if ref and product_id in await admin(admin_env, "dlq", "show", ref):
            break
        ref = None
        await asyncio.sleep(0.2)
    assert ref is not None, listing

    assert f"discard {ref}" in await admin(admin_env, "dlq", "discard", ref)
    assert ref not in await admin(admin_env, "dlq", "list")
    assert (await cart_admin.delete(f"/v2/products/{taken['id']}")).status_code == 204
    # Had anything re-sent the import, the freed sku would let it apply: once the cart's group has
    # committed past the end of its topics, it would have.
    await services_settled(kafka_bootstrap_servers, topic_prefix, [cart_service])
    assert (await cart_shopper.get(f"/v2/products/{product_id}")).status_code == 404


async def test_a_letter_too_large_to_carry_its_value_is_retried_from_the_original_message(
    cart_clients, admin_env, kafka_bootstrap_servers, topic_prefix
):
    """Near the broker's size limit the dead letter goes without its value (its `dlq.*` headers would
    not fit); `dlq retry` reads the original back from its topic and partition."""
    cart_admin, cart_shopper = cart_clients
    taken = await create_product(cart_admin)
    product_id = str(uuid4())
    small = ProductPublished(product_id=product_id, sku=taken["sku"], name="Large import")
    # The original just fits the broker's limit; with the dead letter's headers it no longer would.
    room = (
        LARGEST_ACCEPTED_VALUE
        + 100
        - len(
            Envelope.of(small, aggregate_id=product_id, producer="pim", correlation_id="dlq-large").to_json()
        )
    )
    large = small.model_copy(update={"description": "x" * room})
    envelope = Envelope.of(large, aggregate_id=product_id, producer="pim", correlation_id="dlq-large")
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap_servers,
        acks="all",
        max_request_size=2**22,
        **kafka_client_options(),
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            f"{topic_prefix}ProductPublished",
            envelope.to_json(),
            key=product_id.encode(),
            headers=envelope.kafka_headers(),
        )
    finally:
        await producer.stop()

    ref = None
    for _ in range(100):
        for line in (await admin(admin_env, "dlq", "list")).splitlines():
            candidate = line.split()[0]
            if ":" in candidate and f"key: {product_id}" in await admin(admin_env, "dlq", "show", candidate):
                ref = candidate
        if ref:
            break
        await asyncio.sleep(0.2)
    assert ref is not None
    assert "dlq.value_omitted" in await admin(admin_env, "dlq", "show", ref)

    assert (await cart_admin.delete(f"/v2/products/{taken['id']}")).status_code == 204
    assert ref in await admin(admin_env, "dlq", "retry", ref)
    response = await imported(cart_shopper, product_id)
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]["description"]) == room
