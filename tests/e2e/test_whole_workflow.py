"""The seed's whole workflow across all five services as processes, over real Kafka and Postgres:
stock unchanged at checkout, allocated at payment, kept at capture, decremented at shipping;
a payment the stock cannot cover is refused and charges nothing; cancelling releases."""

from __future__ import annotations

from tests.e2e.shop import (
    authorize,
    authorize_and_capture,
    checkout,
    eventually,
    managed_product,
    order_state,
    placed_state,
    stock,
)


async def test_the_documented_flow_on_a_stock_of_ten(api):
    product = await managed_product(api, 10)
    order = await checkout(api, product, 3)
    assert await stock(api, product["id"]) == (10, 0, 10)  # checkout allocates nothing

    paid = await api["pay_shopper"].post(
        f"/v2/orders/{order['id']}/payments", json={"data": {"gateway": "manual", "method": "authorize"}}
    )
    assert paid.status_code == 200, paid.text
    transaction = paid.json()["data"]
    assert await stock(api, product["id"]) == (10, 3, 7)  # allocated before the payment answered
    await eventually(
        lambda: order_state(api, order["id"]),
        lambda s: s == ("processing", "authorized", "unfulfilled"),
        "order processing",
    )

    capture = await api["pay_admin"].post(
        f"/v2/orders/{order['id']}/transactions/{transaction['id']}/capture"
    )
    assert capture.status_code == 200, capture.text
    await eventually(
        lambda: order_state(api, order["id"]),
        lambda s: s == ("complete", "paid", "unfulfilled"),
        "order complete",
    )
    assert await stock(api, product["id"]) == (10, 3, 7)  # capture changes nothing

    shipped = await api["orders"].put(
        f"/v2/orders/{order['id']}", json={"data": {"type": "order", "shipping": "fulfilled"}}
    )
    assert shipped.status_code == 200 and shipped.json()["data"]["shipping"] == "fulfilled"
    await eventually(lambda: stock(api, product["id"]), lambda s: s == (7, 0, 7), "stock decremented")

    other = await checkout(api, product, 2)
    paid = await api["pay_shopper"].post(
        f"/v2/orders/{other['id']}/payments", json={"data": {"gateway": "manual", "method": "authorize"}}
    )
    assert paid.status_code == 200, paid.text
    assert await stock(api, product["id"]) == (7, 2, 5)
    await placed_state(api, other["id"])  # a PUT waits only 3 s for a checkout not consumed yet
    cancelled = await api["orders"].put(
        f"/v2/orders/{other['id']}", json={"data": {"type": "order", "status": "cancelled"}}
    )
    assert cancelled.status_code == 200
    await eventually(lambda: stock(api, product["id"]), lambda s: s == (7, 0, 7), "allocation released")


async def test_a_slower_shopper_loses_the_last_unit_and_is_not_charged(api):
    product = await managed_product(api, 1)
    first = await checkout(api, product, 1)
    second = await checkout(api, product, 1)  # both checked out: nothing is reserved at checkout
    await authorize_and_capture(api, first["id"])
    lost = await authorize(api, second["id"])
    assert lost.status_code == 422, lost.text  # inventory refused the allocation: EP's stock answer
    assert lost.json()["errors"][0]["title"] == "Cannot complete request"
    assert (
        lost.json()["errors"][0]["detail"]
        == "Your request could not be completed due to insufficient stock levels"
    )
    transactions = (await api["pay_admin"].get(f"/v2/orders/{second['id']}/transactions")).json()["data"]
    assert all(t["status"] != "complete" for t in transactions)  # nothing charged
    await eventually(
        lambda: order_state(api, first["id"]), lambda s: s[:2] == ("complete", "paid"), "complete"
    )
    assert (await placed_state(api, second["id"]))[:2] == ("incomplete", "unpaid")
    assert await stock(api, product["id"]) == (1, 1, 0)


async def test_a_full_refund_marks_the_order_refunded(api):
    product = await managed_product(api, 5)
    order = await checkout(api, product, 1)
    transaction = await authorize_and_capture(api, order["id"])
    await eventually(lambda: order_state(api, order["id"]), lambda s: s[:2] == ("complete", "paid"), "paid")
    refund = await api["pay_admin"].post(
        f"/v2/orders/{order['id']}/transactions/{transaction['id']}/refund",
        json={"data": {"amount": transaction["amount"]}},
    )
    assert refund.status_code == 200, refund.text
    await eventually(lambda: order_state(api, order["id"]), lambda s: s[1] == "refunded", "order refunded")


async def test_a_declined_card_fails_cleanly_and_releases_the_allocation(api):
    product = await managed_product(api, 2)
    order = await checkout(api, product, 2)
    declined = await api["pay_shopper"].post(
        f"/v2/orders/{order['id']}/payments",
        json={
            "data": {
                "gateway": "stripe_payment_intents",
                "method": "purchase",
                "payment": "pm_card_chargeCustomerFail",
            }
        },
    )
    assert declined.status_code == 400, declined.text
    assert declined.json()["errors"][0]["title"] == "Payment gateway processing failed"
    await eventually(lambda: stock(api, product["id"]), lambda s: s == (2, 0, 2), "allocation released")
    assert (await placed_state(api, order["id"]))[:2] == ("incomplete", "unpaid")
    retry = await api["pay_shopper"].post(
        f"/v2/orders/{order['id']}/payments",
        json={"data": {"gateway": "stripe_payment_intents", "method": "purchase", "payment": "pm_card_visa"}},
    )
    assert retry.status_code == 200, retry.text  # a later good card can still buy the stock
    await eventually(lambda: order_state(api, order["id"]), lambda s: s[:2] == ("complete", "paid"), "paid")
    assert await stock(api, product["id"]) == (2, 2, 0)
