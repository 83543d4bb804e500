"""Another team's test suite against the checkout platform, as that team would write it: only
`checkout_platform.testing` (testcontainers), HTTP and Kafka; nothing of this repository's services.

The first test is the documented example (docs/devstack.md, "With a Docker engine"); the second is
what a team consuming orders must know: the customer's personal data reaches it sealed on Kafka, in
clear only through the order API, and orders can be anonymised; the third kills the order service's
container after a checkout was accepted and before the order was read, starts it again, and finds
the order once, paid, and one `OrderCreated` for it on Kafka.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from checkout_platform.testing import CheckoutPlatform
from checkout_platform.testing.pytest_plugin import checkout_platform  # noqa: F401  (the fixture)
from shared.messaging.kafka_security import kafka_client_options

T = TypeVar("T")
ADDRESS = {
    "first_name": "Ron",
    "last_name": "Swanson",
    "line_1": "1 Sun St",
    "postcode": "46001",
    "country": "US",
}
CUSTOMER = {"name": "Ron Swanson", "email": "ron@example.com"}


async def test_our_system_sees_the_order_a_checkout_creates(checkout_platform: CheckoutPlatform) -> None:  # noqa: F811
    admin, shopper = api(checkout_platform, admin=True), api(checkout_platform, admin=False)
    product = publish_product(admin, stock=5)
    order_id = check_out(shopper, product, quantity=2)
    created = await next_event(checkout_platform, "OrderCreated", lambda data: data["order_id"] == order_id)
    assert created["data"]["items"][0]["product_id"] == product
    assert created["data"]["items"][0]["quantity"] == 2


async def test_the_customer_reaches_us_sealed_on_kafka_and_in_clear_only_through_the_api(
    checkout_platform: CheckoutPlatform,  # noqa: F811
) -> None:
    admin, shopper = api(checkout_platform, admin=True), api(checkout_platform, admin=False)
    order_id = check_out(shopper, publish_product(admin, stock=5), quantity=1)
    created = await next_event(checkout_platform, "OrderCreated", lambda data: data["order_id"] == order_id)
    sealed = created["data"]["customer"]
    assert sealed["email"].startswith(f"pii:v1:order:{order_id}:"), sealed
    assert sealed["name"].startswith(f"pii:v1:order:{order_id}:"), sealed
    assert CUSTOMER["email"] not in json.dumps(created)
    order = until(lambda: admin.get(f"/v2/orders/{order_id}"), lambda r: r.status_code == 200, "the order")
    assert order.json()["data"]["customer"] == CUSTOMER  # the order API opens it for whoever may read it
    # Erasure is on (501 where personal data is kept in clear): this order is refused only because it
    # is neither fulfilled, cancelled nor refunded yet.
    refused = admin.post("/v2/orders/anonymize", json={"data": {"order_ids": [order_id]}})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["title"] == "Could not anonymize orders"


async def test_killing_the_order_service_mid_checkout_loses_nothing() -> None:
    with CheckoutPlatform() as platform:
        admin, shopper = api(platform, admin=True), api(platform, admin=False)
        product = publish_product(admin, stock=5)
        cart = add_to_cart(shopper, product, quantity=1)
        platform.kill("order")
        order_id = place(shopper, cart)  # the cart service accepted the checkout
        assert admin.get(f"/v2/orders/{order_id}").status_code != 200  # nobody has read it yet
        platform.restart("order")
        order = until(
            lambda: admin.get(f"/v2/orders/{order_id}"), lambda r: r.status_code == 200, "the order"
        )
        assert order.json()["data"]["status"] == "incomplete"
        authorized = shopper.post(
            f"/v2/orders/{order_id}/payments", json={"data": {"gateway": "manual", "method": "authorize"}}
        )
        assert authorized.status_code == 200, authorized.text
        transaction = authorized.json()["data"]["id"]
        captured = admin.post(f"/v2/orders/{order_id}/transactions/{transaction}/capture")
        assert captured.status_code == 200, captured.text
        paid = until(
            lambda: admin.get(f"/v2/orders/{order_id}").json()["data"],
            lambda o: (o["status"], o["payment"]) == ("complete", "paid"),
            "the order complete and paid",
        )
        assert paid["id"] == order_id
        listed = until(
            lambda: [o["id"] for o in admin.get("/v2/orders").json()["data"]],
            lambda ids: order_id in ids,
            "the order in the order list",
        )
        assert listed.count(order_id) == 1
        # Published after the order was created: once it is on Kafka, so is every OrderCreated of it.
        await next_event(platform, "OrderCompleted", lambda data: data["order_id"] == order_id)
        created = await all_events(platform, "OrderCreated", lambda data: data["order_id"] == order_id)
        assert len(created) == 1, created


# -- what the other team's helpers would be -------------------------------------------------------


def until(read: Callable[[], T], check: Callable[[T], bool], what: str, timeout: float = 90) -> T:
    """`read()` until `check` holds (effects cross Kafka); fail naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    value = read()
    while not check(value) and time.monotonic() < deadline:
        time.sleep(0.2)
        value = read()
    assert check(value), f"{what}: last seen {value!r}"
    return value


def api(platform: CheckoutPlatform, *, admin: bool) -> httpx.Client:
    """An HTTP client with an admin (client_credentials) or shopper (implicit) token."""
    form = {"grant_type": "implicit", "client_id": platform.client_id}
    if admin:
        form |= {"grant_type": "client_credentials", "client_secret": platform.client_secret}
    answer = httpx.post(f"{platform.url}/oauth/access_token", data=form, timeout=30)
    assert answer.status_code == 200, answer.text
    bearer = answer.json()["access_token"]
    return httpx.Client(base_url=platform.url, headers={"Authorization": f"Bearer {bearer}"}, timeout=30)


def publish_product(admin: httpx.Client, *, stock: int) -> str:
    """A stock-managed product with `stock` units; its id."""
    sku = f"downstream-{uuid.uuid4().hex[:8]}"
    product = {"type": "product", "name": "Deck Shoe", "sku": sku, "manage_stock": True}
    product["price"] = [{"amount": 5000, "currency": "USD", "includes_tax": False}]
    created = admin.post("/v2/products", json={"data": product})
    assert created.status_code == 201, created.text
    product_id = str(created.json()["data"]["id"])
    stocked = admin.post(f"/v2/inventories/{product_id}", json={"data": {"quantity": stock}})
    assert stocked.status_code == 201, stocked.text
    return product_id


def add_to_cart(shopper: httpx.Client, product_id: str, *, quantity: int) -> str:
    """A new cart holding the product, once the product and its stock reached the cart service."""
    cart = uuid.uuid4().hex
    item = {"data": {"type": "cart_item", "id": product_id, "quantity": quantity}}
    until(
        lambda: shopper.post(f"/v2/carts/{cart}/items", json=item),
        lambda r: r.status_code == 201,
        "in the cart",
    )
    return cart


def place(shopper: httpx.Client, cart: str) -> str:
    """Check the cart out as a guest; the order's id."""
    placed = shopper.post(
        f"/v2/carts/{cart}/checkout", json={"data": {"customer": CUSTOMER, "billing_address": ADDRESS}}
    )
    assert placed.status_code == 201, placed.text
    return str(placed.json()["data"]["id"])


def check_out(shopper: httpx.Client, product_id: str, *, quantity: int) -> str:
    return place(shopper, add_to_cart(shopper, product_id, quantity=quantity))


def reader(platform: CheckoutPlatform, event_type: str) -> AIOKafkaConsumer:
    """A consumer of the event's topic from its beginning, in no group: it commits nothing."""
    return AIOKafkaConsumer(
        f"{platform.topic_prefix}{event_type}",
        bootstrap_servers=platform.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **kafka_client_options(),
    )


async def all_events(
    platform: CheckoutPlatform, event_type: str, match: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """Every message on the event's topic so far (up to its end offsets now) whose `data` matches."""
    consumer = reader(platform, event_type)
    await consumer.start()
    try:
        read: list[ConsumerRecord[bytes, bytes]] = []
        ends: dict[TopicPartition, int] | None = None
        while ends is None or any([await consumer.position(p) < end for p, end in ends.items()]):
            read += [
                record for records in (await consumer.getmany(timeout_ms=500)).values() for record in records
            ]
            if ends is None and consumer.assignment():
                ends = await consumer.end_offsets(list(consumer.assignment()))
        envelopes = [
            json.loads(record.value or b"{}")
            for record in read
            if record.offset < ends[TopicPartition(record.topic, record.partition)]
        ]
        return [envelope for envelope in envelopes if match(envelope["data"])]
    finally:
        await consumer.stop()


async def next_event(
    platform: CheckoutPlatform, event_type: str, match: Callable[[dict[str, Any]], bool], timeout: float = 90
) -> dict[str, Any]:
    """The first envelope on the event's topic whose `data` matches, read from the beginning."""
    consumer = reader(platform, event_type)
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    envelope: dict[str, Any] = json.loads(record.value or b"{}")
                    if match(envelope["data"]):
                        return envelope
        raise AssertionError(f"no matching {event_type} on Kafka in {timeout} s")
    finally:
        await consumer.stop()
