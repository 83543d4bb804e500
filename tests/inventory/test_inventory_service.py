"""The inventory service as a process: Elastic Path's inventory API, bad input, and both policies
driven over real Kafka (the test plays the cart, payment, order and fulfilment services)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from shared.contracts import events as contracts
from shared.contracts.integration_event import IntegrationEvent
from shared.contracts.values import Address, Customer, Money, OrderLine, StockLine, Totals
from tests.inventory.conftest import inventory
from tests.support.kafka import publish_event, wait_for_envelope
from tests.support.polling import poll_until
from tests.support.services import authenticated_client

ADDRESS = Address(first_name="A", last_name="B", line_1="1", postcode="P", country="GB")


async def send(
    kafka: str, prefix: str, event: IntegrationEvent, key: str, producer: str | None = None
) -> None:
    await publish_event(kafka, prefix, event, key, producer)


async def request_allocation(
    kafka: str, prefix: str, order_id: str, request_id: str, product: str, quantity: int
) -> None:
    """The payment service asks for `quantity` of `product` for the order, as it does before taking
    the money."""
    requested = contracts.StockAllocationRequested(
        order_id=order_id, request_id=request_id, lines=[StockLine(product_id=product, quantity=quantity)]
    )
    await send(kafka, prefix, requested, order_id, "payment")


async def level(admin, product: str, expected: tuple[int, int, int]) -> None:
    """Wait for the product's stock to read `expected`: it moves when the service consumes what the
    test published, which on a busy machine takes longer than the 5 s of tries this used to allow."""

    async def read() -> tuple[int, int, int]:
        body = (await admin.get(f"/v2/inventories/{product}")).json()["data"]
        return body["total"], body["allocated"], body["available"]

    seen = await poll_until(read, lambda levels: levels == expected)
    assert seen == expected, f"{product}: {seen} is not {expected}"


async def test_inventory_api_and_the_payment_time_flow(on_payment, kafka_bootstrap_servers, prefix):
    admin, shopper = on_payment
    product = str(uuid4())
    created = await admin.post(f"/v2/inventories/{product}", json={"data": {"quantity": 10}})
    assert created.status_code == 201 and created.json()["data"]["available"] == 10
    assert (await shopper.get(f"/v2/inventories/{product}")).json()["data"]["total"] == 10  # shoppers read
    assert (
        await shopper.post(
            f"/v2/inventories/{product}/transactions",
            json={"data": {"type": "stock-transaction", "action": "increment", "quantity": 1}},
        )
    ).status_code == 403

    await request_allocation(kafka_bootstrap_servers, prefix, "o1", "req-1", product, 3)
    reply = await wait_for_envelope(
        kafka_bootstrap_servers, f"{prefix}StockAllocated", lambda e: e.data["request_id"] == "req-1"
    )
    assert reply.data["lines"] == [{"product_id": product, "quantity": 3}]
    await level(admin, product, (10, 3, 7))
    await send(kafka_bootstrap_servers, prefix, contracts.OrderShipped(order_id="o1"), "o1", "fulfillment")
    await level(admin, product, (7, 0, 7))

    await request_allocation(kafka_bootstrap_servers, prefix, "o2", "req-2", product, 2)
    await level(admin, product, (7, 2, 5))
    await send(kafka_bootstrap_servers, prefix, contracts.OrderCancelled(order_id="o2"), "o2", "order")
    await level(admin, product, (7, 0, 7))

    history = (await admin.get(f"/v2/inventories/{product}/transactions")).json()["data"]
    assert [t["action"] for t in history] == ["set", "allocate", "ship", "allocate", "deallocate"]
    page = (await admin.get(f"/v2/inventories/{product}/transactions?page[limit]=2&page[offset]=1")).json()
    assert [t["action"] for t in page["data"]] == ["allocate", "ship"]  # paged from the stream
    assert page["meta"]["results"]["total"] == 5 and page["meta"]["page"]["total"] == 3
    one = await admin.get(f"/v2/inventories/{product}/transactions/{history[0]['id']}")
    assert one.json()["data"]["quantity"] == 10
    many = await shopper.post(
        "/v2/inventories/multiple", json={"data": [{"id": product}, {"id": str(uuid4())}]}
    )
    assert [s["id"] for s in many.json()["data"]] == [product]


@pytest.mark.parametrize(
    "body,status",
    [
        ({"data": {"type": "stock-transaction", "action": "decrement", "quantity": 99}}, 422),
        ({"data": {"type": "stock-transaction", "action": "increment", "quantity": 0}}, 400),
        ({"data": {"type": "stock-transaction", "action": "increment", "quantity": -3}}, 400),
        ({"data": {"type": "stock-transaction", "action": "increment", "quantity": 1.5}}, 400),
        ({"data": {"type": "stock-transaction", "action": "increment", "quantity": "2"}}, 400),
        ({"data": {"type": "stock-transaction", "action": "steal", "quantity": 1}}, 400),
        ({"data": {}}, 400),
        ({}, 400),
    ],
)
async def test_bad_stock_transactions_are_refused_and_change_nothing(on_payment, body, status):
    admin, _ = on_payment
    product = str(uuid4())
    await admin.post(f"/v2/inventories/{product}", json={"data": {"quantity": 5}})
    response = await admin.post(f"/v2/inventories/{product}/transactions", json=body)
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["status"] == status
    assert (await admin.get(f"/v2/inventories/{product}")).json()["data"]["total"] == 5


async def test_unknown_products_are_404(on_payment):
    admin, _ = on_payment
    assert (await admin.get(f"/v2/inventories/{uuid4()}")).status_code == 404
    assert (
        await admin.post(
            f"/v2/inventories/{uuid4()}/transactions",
            json={"data": {"type": "stock-transaction", "action": "increment", "quantity": 1}},
        )
    ).status_code == 404
    assert (await admin.post("/v2/inventories/not-a-uuid", json={"data": {"quantity": 1}})).status_code == 404


async def test_the_reserve_at_checkout_policy(postgres, kafka_bootstrap_servers, tmp_path_factory):
    prefix = f"rsv{uuid4().hex[:8]}."
    # The paid order's payment must reach the service before its reservation's deadline: with a 1 s
    # TTL one slow Kafka hop let the sweep release it first. The abandoned checkout still expires.
    service = await inventory(
        postgres,
        kafka_bootstrap_servers,
        prefix,
        tmp_path_factory.mktemp("rsv"),
        "reserve_on_checkout",
        reservation_ttl=15,
    )
    admin = await authenticated_client(service.url, admin=True)
    try:
        product = str(uuid4())
        await admin.post(f"/v2/inventories/{product}", json={"data": {"quantity": 4}})

        def checkout(order_id: str, quantity: int) -> contracts.CartCheckedOut:
            money = Money(amount=100 * quantity, currency="USD")
            return contracts.CartCheckedOut(
                cart_id="c",
                order_id=order_id,
                customer=Customer(name="n", email="e@x.io"),
                billing_address=ADDRESS,
                shipping_address=ADDRESS,
                items=[
                    OrderLine(
                        id="l",
                        product_id=product,
                        quantity=quantity,
                        manage_stock=True,
                        unit_price=Money(amount=100, currency="USD"),
                        value=money,
                    )
                ],
                totals=Totals(currency="USD", with_tax=money.amount, without_tax=money.amount),
                checked_out_at=datetime.now(UTC),
            )

        await send(kafka_bootstrap_servers, prefix, checkout("paid-order", 3), "paid-order", "cart")
        await level(admin, product, (4, 3, 1))  # reserved at checkout
        await send(
            kafka_bootstrap_servers,
            prefix,
            contracts.PaymentAuthorized(
                order_id="paid-order",
                transaction_id="t",
                gateway="manual",
                amount=Money(amount=300, currency="USD"),
            ),
            "paid-order",
            "payment",
        )
        await send(kafka_bootstrap_servers, prefix, checkout("too-many", 2), "too-many", "cart")
        failed = await wait_for_envelope(
            kafka_bootstrap_servers,
            f"{prefix}StockAllocationFailed",
            lambda e: e.data["order_id"] == "too-many",
        )
        assert failed.data["short"] == [{"product_id": product, "quantity": 2}]

        await send(kafka_bootstrap_servers, prefix, checkout("abandoned", 1), "abandoned", "cart")
        released = await wait_for_envelope(
            kafka_bootstrap_servers,
            f"{prefix}StockReleased",
            lambda e: e.data["order_id"] == "abandoned",
            timeout=90,
        )
        assert released.data["reason"] == "reservation expired"  # not paid within the TTL
        await level(admin, product, (4, 3, 1))  # the paid order keeps its reservation
        await request_allocation(kafka_bootstrap_servers, prefix, "paid-order", "pay", product, 3)
        answer = await wait_for_envelope(
            kafka_bootstrap_servers, f"{prefix}StockAllocated", lambda e: e.data["request_id"] == "pay"
        )
        assert answer.data["order_id"] == "paid-order"
        await level(admin, product, (4, 3, 1))  # answered from the reservation, not allocated twice
    finally:
        await admin.aclose()
        service.stop()
