"""Issue 19's acceptance: crypto-shredding an order across the whole stack.

Five services with personal data sealed (PII_MASTER_KEY, one key table). Two shoppers check out
(each with an `Idempotency-Key`, so the cart keeps their answers) and pay; the first order is shipped
and anonymised (`POST /v2/orders/anonymize`), the second is not. Then: no table of any service's
database (the kept answers' among them) and no message of any topic (read from offset 0: values,
keys, headers) holds either shopper's email or street in clear; the second shopper's are there
sealed and open through the key table; the first's are there sealed and open through nothing; the
first order reads with Elastic Path's anonymised values, and so does its checkout's retry, while the
second's retry is still its first answer byte for byte; both orders' money and stock are as before,
and every projection rebuilt afterwards equals the live one.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from checkout_admin.registry import SERVICES
from shared.messaging.kafka_security import kafka_client_options
from shared.privacy.personal_data import order_subject
from shared.privacy.sealed_text import ANONYMISED, subject_of, unseal
from tests.e2e.conftest import service_fixture
from tests.e2e.operator import run_admin
from tests.e2e.quiescence import database_state, quiet_state
from tests.e2e.shop import authorize_and_capture, eventually, managed_product, order_state, stock
from tests.support.kafka import records_up_to_now
from tests.support.privacy import every_stored_text, live_keys, sealed_values, stored_texts

pytestmark = pytest.mark.slow

PAYMENT_SETTINGS = {
    "STRIPE_API_KEY": "sk_test_12345",
    "STRIPE_WEBHOOK_SECRET": "whsec_e2e",
    "PAYMENT_ORDER_WAIT_SECONDS": "30",
}
# Both projections of the module's stack that are off by default are on, so both are proven to
# rebuild: fulfilment's shipments (which copies the shipping address) and nothing else.
FULFILLMENT_SETTINGS = {"FULFILLMENT_SHIPMENTS_PROJECTION": "1"}
READ_MODEL_SETTINGS = {**FULFILLMENT_SETTINGS}


@pytest.fixture(scope="module")
def service_env(privacy_env: dict[str, str]) -> dict[str, str]:
    """Every service of the module seals with the module's master key and key table."""
    return privacy_env


cart_service = service_fixture("cart")
order_service = service_fixture("order", ORDER_CHECKOUT_WAIT_SECONDS="30")
payment_service = service_fixture("payment", STRIPE_API_BASE="@localstripe", **PAYMENT_SETTINGS)
inventory_service = service_fixture("inventory")
fulfillment_service = service_fixture("fulfillment", **FULFILLMENT_SETTINGS)


def shopper(name: str) -> dict[str, Any]:
    """A shopper whose email, street and delivery note occur nowhere else in the stack."""
    tag = uuid4().hex[:10]
    address = {
        "first_name": name,
        "last_name": f"Q{tag}",
        "line_1": f"{tag} Privet Drive",
        "city": "Little Whinging",
        "postcode": "KT22 7AA",
        "country": "GB",
        "phone_number": f"+44 7700 {tag[:6]}",
        "instructions": f"Leave with neighbour {tag}",
    }
    return {
        "email": f"{name.lower()}.{tag}@example.com",
        "street": address["line_1"],
        "customer": {"name": f"{name} Q{tag}", "email": f"{name.lower()}.{tag}@example.com"},
        "address": address,
    }


async def check_out(api, product: dict, who: dict[str, Any]) -> dict:
    """The shopper's checkout, with an Idempotency-Key: the first answer's bytes and the key's are
    kept in `who`, with the retry's right after (the same bytes, the answer kept sealed)."""
    ref = uuid4().hex
    await eventually(
        lambda: api["shopper"].post(
            f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
        ),
        lambda r: r.status_code == 201,
        "availability reached the cart",
    )
    body = {
        "customer": who["customer"],
        "billing_address": who["address"],
        "shipping_address": who["address"],
    }
    who["retry"] = lambda: api["shopper"].post(
        f"/v2/carts/{ref}/checkout", json={"data": body}, headers={"Idempotency-Key": f"checkout-{ref}"}
    )
    response = await who["retry"]()
    assert response.status_code == 201, response.text
    who["answered"] = response.content
    who["replayed"] = await who["retry"]()
    order: dict = response.json()["data"]
    assert order["customer"]["email"] == who["email"]  # the answer is the shopper's, in clear
    return order


async def money_and_stock(api, order_ids: list[str], product_id: str) -> dict[str, Any]:
    """The facts anonymisation must leave alone: each order's statuses, money and transactions,
    and the product's stock."""
    facts: dict[str, Any] = {"stock": await stock(api, product_id)}
    for order_id in order_ids:
        order = (await api["orders"].get(f"/v2/orders/{order_id}")).json()["data"]
        transactions = (await api["pay_admin"].get(f"/v2/orders/{order_id}/transactions")).json()["data"]
        facts[order_id] = (
            order["status"],
            order["payment"],
            order["shipping"],
            order["meta"]["display_price"],
            sorted((t["id"], t["status"], t["amount"]) for t in transactions),
        )
    return facts


@pytest.fixture(scope="module")
async def anonymised(api, services, kafka_bootstrap_servers, topic_prefix) -> dict[str, Any]:
    erased, kept = shopper("Ann"), shopper("Bob")
    product = await managed_product(api, 5)
    erased["order"] = await check_out(api, product, erased)
    kept["order"] = await check_out(api, product, kept)
    ids = [erased["order"]["id"], kept["order"]["id"]]
    for order_id in ids:
        await authorize_and_capture(api, order_id)
    # The order service learns of the capture over Kafka, after the payment answered: only a paid
    # order can be fulfilled.
    await eventually(lambda: order_state(api, ids[0]), lambda s: s[:2] == ("complete", "paid"), "paid")
    fulfil = {"data": {"type": "order", "shipping": "fulfilled"}}
    assert (await api["orders"].put(f"/v2/orders/{ids[0]}", json=fulfil)).status_code == 200
    # The kept order's address is corrected: the new field is sealed too, and reads back.
    kept["line_2"] = f"Flat {uuid4().hex[:10]}"
    correction = {"data": {"type": "order", "shipping_address": {"line_2": kept["line_2"]}}}
    corrected = await api["orders"].put(f"/v2/orders/{ids[1]}", json=correction)
    assert (
        corrected.status_code == 200
        and corrected.json()["data"]["shipping_address"]["line_2"] == kept["line_2"]
    )

    await eventually(
        lambda: order_state(api, ids[0]), lambda s: s == ("complete", "paid", "fulfilled"), "shipped"
    )
    await eventually(
        lambda: order_state(api, ids[1]), lambda s: s == ("complete", "paid", "unfulfilled"), "paid"
    )
    await eventually(lambda: stock(api, product["id"]), lambda s: s == (4, 1, 3), "shipped stock left")
    await quiet_state(services, kafka_bootstrap_servers, topic_prefix)
    before = await money_and_stock(api, ids, product["id"])
    listed_before = await api["orders"].get(f"/v2/orders?filter=eq(email,{erased['email']})")

    refused = await api["orders"].post("/v2/orders/anonymize", json={"data": {"order_ids": ids}})
    answer = await api["orders"].post("/v2/orders/anonymize", json={"data": {"order_ids": ids[:1]}})
    assert answer.status_code == 200, answer.text
    await quiet_state(services, kafka_bootstrap_servers, topic_prefix)
    return {
        "erased": erased,
        "kept": kept,
        "ids": ids,
        "product": product,
        "before": before,
        "listed_before": listed_before.json(),
        "refused": refused,
        "answer": answer.json(),
    }


async def test_an_order_not_fulfilled_cancelled_or_refunded_is_not_anonymised(anonymised, api):
    refused = anonymised["refused"]
    assert refused.status_code == 422, refused.text
    error = refused.json()["errors"][0]
    assert error["title"] == "Could not anonymize orders"
    assert error["meta"]["order_id"] == anonymised["ids"][1]
    kept = (await api["orders"].get(f"/v2/orders/{anonymised['ids'][1]}")).json()["data"]
    assert kept["anonymized"] is False and kept["customer"]["email"] == anonymised["kept"]["email"]


async def test_the_anonymised_order_reads_with_eps_anonymised_values_and_its_facts_are_unchanged(
    anonymised, api
):
    erased_id, kept_id = anonymised["ids"]
    answered = anonymised["answer"]["data"]
    assert [o["id"] for o in answered] == [erased_id] and answered[0]["anonymized"] is True
    order = (await api["orders"].get(f"/v2/orders/{erased_id}")).json()["data"]
    assert order["anonymized"] is True
    assert order["customer"] == {"name": ANONYMISED, "email": ANONYMISED}
    for which in ("shipping_address", "billing_address"):
        assert order[which]["line_1"] == order[which]["first_name"] == order[which]["postcode"] == ANONYMISED
    assert order["shipping_address"]["instructions"] == ANONYMISED

    kept = (await api["orders"].get(f"/v2/orders/{kept_id}")).json()["data"]
    assert kept["anonymized"] is False
    assert kept["customer"] == anonymised["kept"]["customer"]
    assert kept["shipping_address"]["line_1"] == anonymised["kept"]["street"]
    assert kept["shipping_address"]["line_2"] == anonymised["kept"]["line_2"]

    after = await money_and_stock(api, anonymised["ids"], anonymised["product"]["id"])
    assert after == anonymised["before"]
    # Found by email before, not after; the kept order still is.
    assert [o["id"] for o in anonymised["listed_before"]["data"]] == [erased_id]
    erased_email, kept_email = anonymised["erased"]["email"], anonymised["kept"]["email"]
    assert (await api["orders"].get(f"/v2/orders?filter=eq(email,{erased_email})")).json()["data"] == []
    found = (await api["orders"].get(f"/v2/orders?filter=eq(email,{kept_email})")).json()["data"]
    assert [o["id"] for o in found] == [kept_id]
    # Anonymising again changes nothing and still answers.
    again = await api["orders"].post("/v2/orders/anonymize", json={"data": {"order_ids": [erased_id]}})
    assert again.status_code == 200 and again.json()["data"][0]["anonymized"] is True


async def test_an_idempotent_checkouts_retry_replays_its_answer_and_reads_anonymised_once_erased(
    anonymised,
):
    """The cart keeps a keyed checkout's answer sealed, and opens it for each retry: the first
    answer's bytes while the order's key lives, before and after the other order's anonymisation;
    the anonymised order's customer and addresses as `*`, everything else as first answered."""
    erased, kept = anonymised["erased"], anonymised["kept"]
    for who in (erased, kept):
        replayed = who["replayed"]
        assert (replayed.status_code, replayed.content) == (201, who["answered"])
        assert replayed.headers.get("Idempotent-Replayed") == "true"
    again = await kept["retry"]()
    assert (again.status_code, again.content) == (201, kept["answered"])

    retried = await erased["retry"]()
    assert retried.status_code == 201 and retried.headers.get("Idempotent-Replayed") == "true", retried.text
    first, now = orjson.loads(erased["answered"]), retried.json()
    order = now["data"]
    assert order["id"] == anonymised["ids"][0]
    assert order["customer"] == {"name": ANONYMISED, "email": ANONYMISED}
    for which in ("shipping_address", "billing_address"):
        assert set(order[which]) == set(first["data"][which])
        assert {field: value for field, value in order[which].items() if value} == {
            field: ANONYMISED for field, value in first["data"][which].items() if value
        }
    personal = ("customer", "shipping_address", "billing_address")
    assert {k: v for k, v in order.items() if k not in personal} == {
        k: v for k, v in first["data"].items() if k not in personal
    }
    assert now["included"] == first["included"]


async def every_message_text(kafka_bootstrap_servers: str, topic_prefix: str) -> dict[str, list[str]]:
    """Every key, value and header of every message of the module's topics, from offset 0."""
    lister = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap_servers, enable_auto_commit=False, **kafka_client_options()
    )
    await lister.start()
    try:
        topics = sorted(t for t in await lister.topics() if t.startswith(topic_prefix))
    finally:
        await lister.stop()
    assert len(topics) >= 10, topics
    found: dict[str, list[str]] = {topic: [] for topic in topics}
    for r in await records_up_to_now(kafka_bootstrap_servers, *topics):
        found[r.topic] += stored_texts((r.key or b"", r.value or b"", *[v for _, v in r.headers or ()]))
    return found


async def test_no_store_and_no_topic_holds_personal_data_in_clear_and_only_the_kept_order_opens(
    anonymised, services, kafka_bootstrap_servers, topic_prefix, keys_dsn, master_key
):
    stored = await every_stored_text(services, keys_dsn)
    sent = await every_message_text(kafka_bootstrap_servers, topic_prefix)
    everything = {**stored, **{f"kafka {t}": texts for t, texts in sent.items()}}
    for copier in ("CartCheckedOut", "OrderCreated", "OrderFulfilmentRequested", "OrderUpdated"):
        assert sent.get(f"{topic_prefix}{copier}"), f"no {copier} message was read"
    erased, kept = anonymised["erased"], anonymised["kept"]
    clear = [
        erased["email"],
        erased["street"],
        erased["address"]["instructions"],
        kept["email"],
        kept["street"],
    ]
    clear.append(kept["line_2"])
    leaks = {(where, c) for where, texts in everything.items() for c in clear for t in texts if c in t}
    assert not leaks, leaks
    # The cart's kept checkout answers were searched: both are there, sealed.
    answers = {"answers": everything['cart "public"."idempotency_keys"']}
    assert all(sealed_values(answers, order_subject(order_id)) for order_id in anonymised["ids"]), answers

    # The facts are there, sealed: the events and messages were not rewritten or dropped.
    erased_sealed = sealed_values(everything, order_subject(anonymised["ids"][0]))
    kept_sealed = sealed_values(everything, order_subject(anonymised["ids"][1]))
    assert len(erased_sealed) >= 8 and len(kept_sealed) >= 8, (len(erased_sealed), len(kept_sealed))
    assert any(
        k.startswith("kafka ") and sealed_values({k: v}, order_subject(anonymised["ids"][0]))
        for k, v in everything.items()
    )

    keys = await live_keys(keys_dsn, master_key, [order_subject(i) for i in anonymised["ids"]])
    assert list(keys) == [order_subject(anonymised["ids"][1])]  # the erased order's key is gone
    opened = {unseal(keys[subject_of(v)], v) for v in kept_sealed}
    assert {kept["email"], kept["street"], kept["line_2"]} <= opened


async def test_streams_show_of_the_anonymised_order_shows_no_personal_data(anonymised, admin_env):
    story = await run_admin(admin_env, "streams", "show", anonymised["ids"][0])
    assert "CartCheckedOut" in story and "OrderAnonymised" in story, story
    erased = anonymised["erased"]
    assert erased["email"] not in story and erased["street"] not in story


async def test_every_projection_rebuilt_after_anonymisation_equals_the_live_one(
    anonymised, services, admin_env, monkeypatch
):
    admin = {**admin_env, **READ_MODEL_SETTINGS}
    for name, value in READ_MODEL_SETTINGS.items():
        monkeypatch.setenv(name, value)
    rebuilt = []
    for service_name, entry in SERVICES.items():
        runtime = entry.build("postgresql://unused/x", "unused:9092", "")
        for projection in runtime.projection_definitions:
            service = services[service_name]
            before = await database_state(service)
            live = {t: rows for t, rows in before.items() if t.startswith(f'"proj_{projection.name}"')}
            out = await run_admin(admin, "projections", "rebuild", service_name, projection.name)
            assert f"rebuilt {service_name}/{projection.name}" in out, out
            after = await database_state(service)
            assert {t: rows for t, rows in after.items() if t.startswith(f'"proj_{projection.name}"')} == live
            rebuilt.append(f"{service_name}/{projection.name}")
    assert "order/orders" in rebuilt and "fulfillment/shipments" in rebuilt, rebuilt
