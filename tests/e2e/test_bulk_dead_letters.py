"""`checkout-admin dlq retry|discard` by filter against a live cart (real process, Kafka, Postgres):
ten poison imports of the cart, retried with one command once their cause is fixed, are applied
once each; a letter of another consumer matching the rest of the filter stays where it is. And
`dlq list --json` says what the table says."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer

from shared.contracts.envelope import Envelope
from shared.contracts.events import ProductPublished
from shared.messaging.dead_letters import RETRY_FOR, DeadLetterPublisher, FailedMessage
from shared.messaging.kafka_security import kafka_client_options
from tests.cart.conftest import create_product
from tests.e2e.operator import run_admin
from tests.support.kafka import publish_event, records_up_to_now
from tests.support.polling import poll_until
from tests.support.settling import services_settled

LETTERS = 10
OTHER_CONSUMER = "catalogue-sync"


@pytest.fixture(scope="module")
def services(cart_service):
    """Only the cart runs here: `admin_env` (tests/e2e/conftest.py) reaches it alone."""
    return {"cart": cart_service}


async def listed(env: dict[str, str], *filters: str) -> list[dict]:
    return json.loads(await run_admin(env, "dlq", "list", "--json", *filters))


async def letter_of_another_consumer(kafka_bootstrap_servers: str, topic_prefix: str, sku: str) -> str:
    """A dead letter the way another consumer of ProductPublished would write it: same topic, same
    kind of reason. Its product id."""
    product_id = str(uuid4())
    event = ProductPublished(product_id=product_id, sku=sku, name="Not the cart's letter")
    envelope = Envelope.of(event, aggregate_id=product_id, producer="pim", correlation_id="dlq-other")
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap_servers, acks="all", **kafka_client_options()
    )
    await producer.start()
    try:
        message = FailedMessage(
            f"{topic_prefix}ProductPublished",
            0,
            0,
            product_id.encode(),
            envelope.to_json(),
            tuple(envelope.kafka_headers()),
        )
        publisher = DeadLetterPublisher(producer, consumer=OTHER_CONSUMER, topic_prefix=topic_prefix)
        await publisher.publish(message, f"sku {sku} is already taken")
    finally:
        await producer.stop()
    return product_id


async def test_a_bulk_retry_by_filter_applies_each_of_ten_letters_once_and_leaves_other_consumers_letters(
    cart_clients, cart_service, admin_env, kafka_bootstrap_servers, topic_prefix
):
    cart_admin, cart_shopper = cart_clients
    started = datetime.now(UTC).isoformat()
    taken = [await create_product(cart_admin) for _ in range(LETTERS)]
    poisoned = {}
    for product in taken:
        product_id = str(uuid4())
        clash = ProductPublished(
            product_id=product_id, sku=product["sku"], name=f"Import of {product['sku']}"
        )
        await publish_event(kafka_bootstrap_servers, topic_prefix, clash, product_id, "pim")
        poisoned[product_id] = product
    other = await letter_of_another_consumer(kafka_bootstrap_servers, topic_prefix, taken[0]["sku"])
    letters = await poll_until(
        lambda: listed(admin_env, "--consumer", "cart"), lambda found: len(found) >= LETTERS
    )
    assert sorted(d["key"] for d in letters) == sorted(poisoned), letters
    assert all(d["source_topic"] == f"{topic_prefix}ProductPublished" for d in letters)
    assert [d["key"] for d in await listed(admin_env, "--consumer", OTHER_CONSUMER)] == [other]

    # --json says what the table says: one row per letter with its ref, topic, consumer and reason.
    table = await run_admin(admin_env, "dlq", "list")
    everything = await listed(admin_env)
    assert f"{len(everything)} dead letter(s) pending" in table
    rows = {line.split()[0]: line for line in table.splitlines()[1:-1]}
    assert set(rows) == {d["ref"] for d in everything}, table
    for d in everything:
        assert d["source_topic"] in rows[d["ref"]] and d["consumer"] in rows[d["ref"]]
        assert d["reason"][:40] in rows[d["ref"]]

    chosen = [
        "--consumer",
        "cart",
        "--source-topic",
        "ProductPublished",
        "--reason",
        "SKU",
        "--since",
        started,
    ]
    dry = await run_admin(admin_env, "dlq", "retry", *chosen, "--dry-run")
    assert dry.splitlines()[0] == f"would retry {LETTERS} dead letter(s)", dry
    assert len(await listed(admin_env, "--consumer", "cart")) == LETTERS  # a dry run changes nothing

    for product in taken:  # the cause: the skus are freed
        assert (await cart_admin.delete(f"/v2/products/{product['id']}")).status_code == 204
    done = await run_admin(admin_env, "dlq", "retry", *chosen)
    assert done.splitlines()[0] == f"retry {LETTERS} dead letter(s)", done

    for product_id, product in poisoned.items():
        response = await poll_until(
            lambda p=product_id: cart_shopper.get(f"/v2/products/{p}"), lambda r: r.status_code == 200
        )
        assert response.json()["data"]["name"] == f"Import of {product['sku']}", response.text
    await services_settled(kafka_bootstrap_servers, topic_prefix, [cart_service])
    published = await records_up_to_now(kafka_bootstrap_servers, f"{topic_prefix}ProductPublished")
    retries = Counter(
        r.key.decode() for r in published if any(name == RETRY_FOR for name, _ in (r.headers or ()))
    )
    assert retries == Counter({product_id: 1 for product_id in poisoned}), retries
    assert await listed(admin_env, "--consumer", "cart") == []
    assert "retry 0 dead letter(s)" in await run_admin(admin_env, "dlq", "retry", *chosen)

    # The other consumer's letter matched all but --consumer: still pending, never sent back.
    assert [d["key"] for d in await listed(admin_env)] == [other]
    assert (await cart_shopper.get(f"/v2/products/{other}")).status_code == 404

    discarded = await run_admin(admin_env, "dlq", "discard", "--consumer", OTHER_CONSUMER)
    assert discarded.splitlines()[0] == "discard 1 dead letter(s)", discarded
    assert await listed(admin_env) == []
