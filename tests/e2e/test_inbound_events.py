"""Other backend systems publishing into the platform (issue 15), through real Kafka and the real
service processes: a warehouse's stock adjustment and a 3PL's shipment confirmation, published with
`checkout_platform.contracts` and its example producer as the `integrator` principal (on the secured
broker, under the platform's ACLs), apply once each (a duplicate `event_id` is a
no-op); an invalid one is dead-lettered with its reason and a later valid one on the same partition
still applies; what the rules refuse (stock below what orders hold, an unpaid order's shipment) is
refused visibly and changes nothing. A 3PL's carrier and tracking show on the order's read, also when
an admin flagged the order `fulfilled` before the confirmation came. And a message whose envelope
names a producer that does not own its topic (or an event type its topic is not named after) is
dead-lettered with the reason by every consumer, nothing applied, the partition moving on."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

import httpx
import pytest

from checkout_platform.contracts import ShipmentConfirmed, WarehouseStockAdjusted, envelope_for
from checkout_platform.contracts.example_producer import publish as publish_as
from devstack.kafka import ADMIN_CREDENTIALS
from devstack.kafka_acls import apply_platform_acls
from shared.contracts.envelope import Envelope
from shared.contracts.events import PaymentCaptured
from shared.contracts.ownership import INTEGRATOR
from shared.messaging.kafka_security import KafkaCredentials
from tests.e2e.conftest import admin_and_shopper
from tests.e2e.test_shipping import FULFIL, pay_in_full, placed_order, wait_for_payment
from tests.support import kafka
from tests.support.databases import rows_of
from tests.support.openapi import validate_response
from tests.support.polling import poll_until
from tests.support.services import RunningService
from tests.support.settling import services_settled


@pytest.fixture(scope="module")
def services(cart_service, order_service, inventory_service, fulfillment_service):
    """No payment service: the test plays it (a capture published to its topic)."""
    return {
        "cart": cart_service,
        "order": order_service,
        "inventory": inventory_service,
        "fulfillment": fulfillment_service,
    }


@pytest.fixture(scope="module")
async def integrator(kafka_bootstrap_servers: str, topic_prefix: str) -> KafkaCredentials:
    """The `integrator` principal, with the platform's ACLs for this module's topics: what a WMS or a
    3PL holds (on a PLAINTEXT broker, nobody: then the ACLs are not applied)."""
    credentials = KafkaCredentials.development(INTEGRATOR, KafkaCredentials.from_environment().protocol)
    if credentials.authenticated:
        await apply_platform_acls(kafka_bootstrap_servers, topic_prefix, ADMIN_CREDENTIALS)
    return credentials


async def publish(
    bootstrap_servers: str, envelope: Envelope, *, topic_prefix: str, credentials: KafkaCredentials
) -> None:
    await publish_as(bootstrap_servers, envelope, topic_prefix=topic_prefix, credentials=credentials)


@pytest.fixture(scope="module")
async def stock_admin(inventory_service):
    async with admin_and_shopper(inventory_service) as (admin, _):
        yield admin


def malformed(event_type: str, key: str, data: dict) -> Envelope:
    """An envelope whose `data` does not validate: what a buggy integrator sends (the contracts
    module would refuse to build it)."""
    return Envelope(
        event_type=event_type,
        schema_version=1,
        aggregate_type="stock" if event_type == "WarehouseStockAdjusted" else "shipment",
        aggregate_id=key,
        aggregate_version=0,
        correlation_id=key,
        producer="integrator-with-a-bug",
        data=data,
    )


async def dead_letter(
    kafka_servers: str, prefix: str, key: str, consumer: str, reason: Callable[[str], bool]
):
    """The headers of the dead letter `consumer` wrote for a message keyed `key` whose reason matches."""

    async def letters() -> list[dict[str, str]]:
        found = []
        for record in await kafka.records_up_to_now(kafka_servers, f"{prefix}DeadLetter"):
            headers = {name: value.decode(errors="replace") for name, value in record.headers}
            if record.key == key.encode() and headers.get("dlq.consumer") == consumer:
                found.append(headers)
        return found

    seen = await poll_until(letters, lambda found: any(reason(h.get("dlq.reason", "")) for h in found))
    matching = [h for h in seen if reason(h.get("dlq.reason", ""))]
    assert matching, f"no dead letter of {consumer} for {key}: {seen}"
    return matching[0]


async def level(stock_admin, product_id: str, expected: tuple[int, int, int]) -> None:
    async def read() -> tuple[int, int, int]:
        body = (await stock_admin.get(f"/v2/inventories/{product_id}")).json()["data"]
        return body["total"], body["allocated"], body["available"]

    seen = await poll_until(read, lambda levels: levels == expected)
    assert seen == expected, f"stock of {product_id}: {seen}, expected {expected}"


@asynccontextmanager
async def an_order_placed(
    cart_clients: Sequence[httpx.AsyncClient], order_service: RunningService
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    """A new order checked out through the cart, and an admin of the order service to read it with."""
    cart_admin, cart_shopper = cart_clients
    async with admin_and_shopper(order_service) as (order_admin, _):
        yield order_admin, await placed_order(cart_admin, cart_shopper)


async def order_shipped(kafka_servers: str, prefix: str, order_id: str) -> Envelope:
    """The order's `OrderShipped`, once the order service has announced it."""
    return await kafka.wait_for_envelope(
        kafka_servers, f"{prefix}OrderShipped", lambda e: e.aggregate_id == order_id, timeout=60
    )


async def shipped_once(
    kafka_servers: str, prefix: str, services: list[RunningService], order_id: str
) -> None:
    """Once the services have settled, the order was asked to be fulfilled and shipped once each:
    a confirmation after a shipment announces nothing again."""
    await services_settled(kafka_servers, prefix, services)
    for topic in ("OrderFulfilmentRequested", "OrderShipped"):
        published = await kafka.envelopes_up_to_now(kafka_servers, f"{prefix}{topic}")
        assert len([e for e in published if e.aggregate_id == order_id]) == 1, topic


async def test_a_warehouse_adjusts_stock_once_and_what_the_rules_refuse_is_recorded_and_announced(
    stock_admin, inventory_service, kafka_bootstrap_servers, topic_prefix, integrator
):
    product = str(uuid4())
    assert (
        await stock_admin.post(f"/v2/inventories/{product}", json={"data": {"quantity": 10}})
    ).status_code == 201
    allocate = {"data": {"type": "stock-transaction", "action": "allocate", "quantity": 4}}
    assert (
        await stock_admin.post(f"/v2/inventories/{product}/transactions", json=allocate)
    ).status_code == 200

    received = envelope_for(
        WarehouseStockAdjusted(product_id=product, kind="received", quantity=5, reference="GRN-1"),
        producer="wms",
    )
    await publish(kafka_bootstrap_servers, received, topic_prefix=topic_prefix, credentials=integrator)
    await publish(
        kafka_bootstrap_servers, received, topic_prefix=topic_prefix, credentials=integrator
    )  # a retry: same event_id
    await level(stock_admin, product, (15, 4, 11))

    damaged = envelope_for(
        WarehouseStockAdjusted(product_id=product, kind="damaged", quantity=12), producer="wms"
    )
    counted = envelope_for(
        WarehouseStockAdjusted(product_id=product, kind="counted", quantity=3), producer="wms"
    )
    await publish(kafka_bootstrap_servers, damaged, topic_prefix=topic_prefix, credentials=integrator)
    await publish(kafka_bootstrap_servers, counted, topic_prefix=topic_prefix, credentials=integrator)
    refusals = {}
    for adjustment in (damaged, counted):
        refused = await kafka.wait_for_envelope(
            kafka_bootstrap_servers,
            f"{topic_prefix}WarehouseStockAdjustmentRefused",
            lambda e, a=adjustment: e.data["adjustment_id"] == str(a.event_id),
            timeout=60,
        )
        refusals[adjustment.data["kind"]] = refused.data
    assert refusals["damaged"]["reason"] == refusals["counted"]["reason"]
    assert "insufficient stock" in refusals["counted"]["reason"]
    assert (refusals["counted"]["total"], refusals["counted"]["allocated"]) == (15, 4)
    assert refusals["damaged"]["quantity"] == 12 and refusals["damaged"]["product_id"] == product

    bad_kind = malformed(
        "WarehouseStockAdjusted", product, {"product_id": product, "kind": "stolen", "quantity": 1}
    )
    await kafka.publish(
        kafka_bootstrap_servers, f"{topic_prefix}WarehouseStockAdjusted", bad_kind, product, integrator
    )
    letter = await dead_letter(
        kafka_bootstrap_servers, topic_prefix, product, "inventory", lambda r: "kind" in r
    )
    assert letter["dlq.original_topic"] == f"{topic_prefix}WarehouseStockAdjusted", letter

    recount = envelope_for(
        WarehouseStockAdjusted(product_id=product, kind="counted", quantity=12), producer="wms"
    )
    await publish(kafka_bootstrap_servers, recount, topic_prefix=topic_prefix, credentials=integrator)
    await level(stock_admin, product, (12, 4, 8))  # the partition moved on past the poison message

    history = (await stock_admin.get(f"/v2/inventories/{product}/transactions")).json()["data"]
    assert [(t["action"], t["quantity"]) for t in history] == [
        ("set", 10),
        ("allocate", 4),
        ("increment", 5),  # once, though published twice
        ("set", 12),
    ]
    kept = await rows_of(
        inventory_service.env["DATABASE_URL"],
        "SELECT data->>'adjustment_id' AS adjustment_id FROM events"
        " WHERE stream_id = $1 AND event_type = 'StockAdjustmentRefused' ORDER BY version",
        f"stock-{product}",
    )
    assert [row["adjustment_id"] for row in kept] == [str(damaged.event_id), str(counted.event_id)]


async def example_producer(
    kafka_servers: str, prefix: str, credentials: KafkaCredentials, *args: str
) -> Envelope:
    """Run the example producer script as an integrator would (its credentials in the environment,
    as the script's doc says); the envelope it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "checkout_platform.contracts.example_producer",
        "--bootstrap",
        kafka_servers,
        "--topic-prefix",
        prefix,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **credentials.environment()},
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return Envelope.from_json(out.decode().strip())


async def test_a_3pl_confirmation_ships_a_paid_order_once_and_an_unpaid_one_is_refused_with_its_reason(
    cart_clients, order_service, fulfillment_service, kafka_bootstrap_servers, topic_prefix, integrator
):
    async with an_order_placed(cart_clients, order_service) as (order_admin, order):
        order_id = order["id"]
        await wait_for_payment(order_admin, order_id, "unpaid")

        unpaid = await example_producer(
            kafka_bootstrap_servers,
            topic_prefix,
            integrator,
            "shipment",
            "--order",
            order_id,
            "--carrier",
            "DHL",
            "--tracking",
            "JJD01",
        )
        letter = await dead_letter(
            kafka_bootstrap_servers, topic_prefix, order_id, "order", lambda r: "Only a paid order" in r
        )
        assert letter["dlq.original_topic"] == f"{topic_prefix}ShipmentConfirmed"
        assert letter["event_id"] == str(unpaid.event_id)
        refused = (await order_admin.get(f"/v2/orders/{order_id}")).json()["data"]
        assert refused["shipping"] == "unfulfilled"

        no_tracking = malformed("ShipmentConfirmed", order_id, {"order_id": order_id, "carrier": "DHL"})
        await kafka.publish(
            kafka_bootstrap_servers, f"{topic_prefix}ShipmentConfirmed", no_tracking, order_id, integrator
        )
        await dead_letter(
            kafka_bootstrap_servers, topic_prefix, order_id, "order", lambda r: "tracking_reference" in r
        )

        await pay_in_full(order, kafka_bootstrap_servers, topic_prefix)
        await wait_for_payment(order_admin, order_id, "paid")
        confirmed = envelope_for(
            ShipmentConfirmed(order_id=order_id, carrier="DHL", tracking_reference="JJD02"), producer="3pl"
        )
        await publish(kafka_bootstrap_servers, confirmed, topic_prefix=topic_prefix, credentials=integrator)
        await publish(
            kafka_bootstrap_servers, confirmed, topic_prefix=topic_prefix, credentials=integrator
        )  # the same message again
        resent = envelope_for(
            ShipmentConfirmed(order_id=order_id, carrier="DHL", tracking_reference="JJD02"), producer="3pl"
        )
        await publish(
            kafka_bootstrap_servers, resent, topic_prefix=topic_prefix, credentials=integrator
        )  # a new id: already fulfilled

        fulfilled = await poll_until(
            lambda: order_admin.get(f"/v2/orders/{order_id}"),
            lambda r: r.json()["data"]["shipping"] == "fulfilled",
        )
        assert (fulfilled.json()["data"]["status"], fulfilled.json()["data"]["shipping"]) == (
            "complete",
            "fulfilled",
        )
        read = (await order_admin.get(f"/v2/orders/{order_id}")).json()
        assert read["data"]["meta"]["shipping"] == {"carrier": "DHL", "tracking_reference": "JJD02"}, read
        validate_response("carts-orders.yaml", "/v2/orders/{orderID}", "get", "200", read)
        shipped = await order_shipped(kafka_bootstrap_servers, topic_prefix, order_id)
        assert (shipped.data["carrier"], shipped.data["tracking_reference"]) == ("DHL", "JJD02")

        recorded = await rows_of(
            fulfillment_service.env["DATABASE_URL"],
            "SELECT data->>'carrier' AS carrier, data->>'tracking_reference' AS tracking FROM events"
            " WHERE stream_id = $1 AND event_type = 'ShipmentDispatched'",
            f"shipment-{order_id}",
        )
        assert [(row["carrier"], row["tracking"]) for row in recorded] == [("DHL", "JJD02")]

        await shipped_once(
            kafka_bootstrap_servers, topic_prefix, [order_service, fulfillment_service], order_id
        )


async def test_a_3pl_confirmation_after_an_admin_flagged_the_order_fulfilled_still_records_its_tracking(
    cart_clients, order_service, fulfillment_service, kafka_bootstrap_servers, topic_prefix, integrator
):
    async with an_order_placed(cart_clients, order_service) as (order_admin, order):
        order_id = order["id"]
        await pay_in_full(order, kafka_bootstrap_servers, topic_prefix)
        await wait_for_payment(order_admin, order_id, "paid")
        flagged = await order_admin.put(f"/v2/orders/{order_id}", json=FULFIL)
        assert flagged.status_code == 200, flagged.text
        assert "shipping" not in flagged.json()["data"]["meta"]  # no tracking known yet
        await order_shipped(kafka_bootstrap_servers, topic_prefix, order_id)

        confirmed = envelope_for(
            ShipmentConfirmed(order_id=order_id, carrier="UPS", tracking_reference="1Z999AA10123456784"),
            producer="3pl",
        )
        await publish(kafka_bootstrap_servers, confirmed, topic_prefix=topic_prefix, credentials=integrator)
        tracked = await poll_until(
            lambda: order_admin.get(f"/v2/orders/{order_id}"),
            lambda r: "shipping" in r.json()["data"]["meta"],
        )
        read = tracked.json()
        assert read["data"]["meta"]["shipping"] == {
            "carrier": "UPS",
            "tracking_reference": "1Z999AA10123456784",
        }, read
        assert (read["data"]["status"], read["data"]["shipping"]) == ("complete", "fulfilled")
        validate_response("carts-orders.yaml", "/v2/orders/{orderID}", "get", "200", read)

        # shipped once, by the admin's flag
        await shipped_once(
            kafka_bootstrap_servers, topic_prefix, [order_service, fulfillment_service], order_id
        )


async def test_a_message_whose_producer_does_not_own_its_topic_is_refused_and_the_partition_moves_on(
    cart_clients, order_service, inventory_service, kafka_bootstrap_servers, topic_prefix, integrator
):
    async with an_order_placed(cart_clients, order_service) as (order_admin, order):
        order_id = order["id"]
        await wait_for_payment(order_admin, order_id, "unpaid")
        total = order["meta"]["display_price"]["with_tax"]
        amount = {"amount": total["amount"], "currency": total["currency"]}

        forged_id = f"forged-{uuid4()}"
        forged = PaymentCaptured(order_id=order_id, transaction_id=forged_id, gateway="manual", amount=amount)
        sent = await kafka.publish_event(
            kafka_bootstrap_servers, topic_prefix, forged, order_id, producer=INTEGRATOR
        )
        for consumer in ("order", "inventory"):
            letter = await dead_letter(
                kafka_bootstrap_servers,
                topic_prefix,
                order_id,
                consumer,
                lambda r: "'integrator' does not own topic PaymentCaptured" in r,
            )
            assert letter["dlq.original_topic"] == f"{topic_prefix}PaymentCaptured", letter
            assert letter["event_id"] == str(sent.event_id), letter

        smuggled_id = f"smuggled-{uuid4()}"
        smuggled = Envelope.of(
            PaymentCaptured(order_id=order_id, transaction_id=smuggled_id, gateway="manual", amount=amount),
            aggregate_id=order_id,
            producer="payment",  # claims to be the owner, on a topic outside systems may write
            correlation_id=order_id,
        )
        await kafka.publish(
            kafka_bootstrap_servers, f"{topic_prefix}ShipmentConfirmed", smuggled, order_id, integrator
        )
        await dead_letter(
            kafka_bootstrap_servers,
            topic_prefix,
            order_id,
            "order",
            lambda r: "PaymentCaptured envelope on topic" in r and "carries only ShipmentConfirmed" in r,
        )

        await pay_in_full(order, kafka_bootstrap_servers, topic_prefix)  # the owner, behind them
        paid = await wait_for_payment(order_admin, order_id, "paid")
        assert paid["meta"]["display_price"]["paid"]["amount"] == total["amount"], paid
        recorded = await rows_of(
            order_service.env["DATABASE_URL"],
            "SELECT data->>'transaction_id' AS txn FROM events"
            " WHERE stream_id = $1 AND event_type = 'TransactionCaptured'",
            f"order-{order_id}",
        )
        captured = [row["txn"] for row in recorded]
        assert len(captured) == 1 and forged_id not in captured and smuggled_id not in captured, captured
