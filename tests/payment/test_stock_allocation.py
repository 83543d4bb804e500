"""Stock is allocated by inventory (over Kafka) before any money moves, as Elastic Path does at
payment time; the fake inventory of `bus.py` answers, refuses, or stays silent."""

from __future__ import annotations

from uuid import uuid4

import httpx

from tests.payment.bus import Bus
from tests.payment.calls import error, pay, transactions
from tests.payment.checkouts import check_out, product_line
from tests.payment.stripe_api import LocalStripe
from tests.support.services import RunningService

STRIPE = "stripe_payment_intents"


async def test_managed_lines_are_allocated_before_the_payment(shopper: httpx.AsyncClient, bus: Bus) -> None:
    managed, unmanaged = str(uuid4()), str(uuid4())
    order = await check_out(
        bus, product_line(managed, 3, 1000, managed=True), product_line(unmanaged, 1, 500, managed=False)
    )

    response = await pay(shopper, order.order_id, gateway="manual", method="authorize")

    assert response.status_code == 200, response.text
    txn = response.json()["data"]
    request = await bus.wait_for("StockAllocationRequested", order_id=order.order_id)
    assert request.data["request_id"] == txn["id"]
    assert request.data["lines"] == [{"product_id": managed, "quantity": 3}]
    await bus.wait_for("PaymentAuthorized", transaction_id=txn["id"])


async def test_refused_allocation_charges_nothing(
    shopper: httpx.AsyncClient, bus: Bus, localstripe: LocalStripe, payment_service: RunningService
) -> None:
    product = str(uuid4())
    bus.out_of_stock.add(product)
    order = await check_out(bus, product_line(product, 1, 2000, managed=True))

    response = await pay(shopper, order.order_id, gateway=STRIPE, method="purchase", payment="pm_card_visa")

    assert response.status_code == 422, response.text
    assert error(response)["title"] == "Cannot complete request"
    assert error(response)["detail"] == "Your request could not be completed due to insufficient stock levels"
    [txn] = await transactions(shopper, order.order_id)
    assert (txn["status"], txn["failure_details"]["code"]) == ("failed", "insufficient_stock")
    assert await localstripe.intents_of(txn["id"]) == []  # Stripe never heard of it
    await bus.settled(payment_service)  # the refusal consumed, and whatever followed it published
    assert bus.events("PaymentAuthorized", order_id=order.order_id) == []
    assert bus.events("PaymentCaptured", order_id=order.order_id) == []

    bus.out_of_stock.discard(product)  # restocked: the order can be paid now
    retry = await pay(shopper, order.order_id, gateway="manual", method="authorize")
    assert retry.status_code == 200, retry.text


async def test_no_answer_from_inventory_abandons_the_payment(
    shopper: httpx.AsyncClient, bus: Bus, payment_service: RunningService
) -> None:
    product = str(uuid4())
    bus.silent.add(product)
    order = await check_out(bus, product_line(product, 1, 2000, managed=True))

    response = await pay(shopper, order.order_id, gateway="manual", method="authorize")

    assert response.status_code == 503, response.text  # after PAYMENT_ALLOCATION_TIMEOUT_SECONDS
    failed = await bus.wait_for("PaymentFailed", order_id=order.order_id)  # releases a late allocation
    [txn] = await transactions(shopper, order.order_id)
    assert (txn["id"], txn["status"]) == (failed.data["transaction_id"], "failed")
    await bus.settled(payment_service)
    assert bus.events("PaymentAuthorized", order_id=order.order_id) == []
