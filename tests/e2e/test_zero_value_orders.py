"""An order whose total is 0 (a free product, a 100 % promotion) across all five services: Elastic
Path has it paid through the manual gateway (a card gateway is refused), by a payment of nothing.
It then completes, can be fulfilled, and its stock is allocated at payment and deducted at
shipping like any paid order's."""

from __future__ import annotations

from uuid import uuid4

from tests.cart.conftest import create_promotion
from tests.e2e.shop import checkout, eventually, managed_product, order_state, placed_state, stock

FULFIL = {"data": {"type": "order", "shipping": "fulfilled"}}


async def test_a_free_product_is_paid_by_a_manual_purchase_of_nothing_then_completes_and_ships(api):
    product = await managed_product(api, 5, amount=0)
    order = await checkout(api, product, 2)
    assert order["meta"]["display_price"]["with_tax"]["amount"] == 0
    assert await placed_state(api, order["id"]) == ("incomplete", "unpaid", "unfulfilled")

    by_card = await api["pay_shopper"].post(
        f"/v2/orders/{order['id']}/payments",
        json={"data": {"gateway": "stripe_payment_intents", "method": "purchase", "payment": "pm_card_visa"}},
    )
    assert by_card.status_code == 422, by_card.text
    assert (by_card.json()["errors"][0]["title"], by_card.json()["errors"][0]["source"]) == (
        "Manual gateway required",
        "data.gateway",
    )
    assert (await api["pay_admin"].get(f"/v2/orders/{order['id']}/transactions")).json()["data"] == []
    assert await stock(api, product["id"]) == (5, 0, 5)  # refused before any allocation

    paid = await api["pay_shopper"].post(
        f"/v2/orders/{order['id']}/payments", json={"data": {"gateway": "manual", "method": "purchase"}}
    )
    assert paid.status_code == 200, paid.text
    transaction = paid.json()["data"]
    assert (transaction["amount"], transaction["status"], transaction["transaction_type"]) == (
        0,
        "complete",
        "purchase",
    )
    assert await stock(api, product["id"]) == (5, 2, 3)  # allocated like any paid order's
    await eventually(
        lambda: order_state(api, order["id"]),
        lambda s: s == ("complete", "paid", "unfulfilled"),
        "free order complete",
    )

    again = await api["pay_shopper"].post(
        f"/v2/orders/{order['id']}/payments", json={"data": {"gateway": "manual", "method": "purchase"}}
    )
    assert again.status_code == 422 and again.json()["errors"][0]["title"] == "Order already paid"

    shipped = await api["orders"].put(f"/v2/orders/{order['id']}", json=FULFIL)
    assert shipped.status_code == 200, shipped.text
    assert (shipped.json()["data"]["status"], shipped.json()["data"]["shipping"]) == ("complete", "fulfilled")
    await eventually(lambda: stock(api, product["id"]), lambda s: s == (3, 0, 3), "stock deducted")


async def test_a_fully_discounted_order_is_authorized_then_captured_at_nothing_and_ships(api):
    product = await managed_product(api, 4)
    code = f"FREE{uuid4().hex[:8]}"
    await create_promotion(api["cart_admin"], code=code, kind="percent_discount", amount=100)
    order = await checkout(api, product, 1, promotion_code=code)
    price = order["meta"]["display_price"]
    assert (price["without_discount"]["amount"], price["with_tax"]["amount"]) == (5000, 0)

    authorized = await api["pay_shopper"].post(
        f"/v2/orders/{order['id']}/payments", json={"data": {"gateway": "manual", "method": "authorize"}}
    )
    assert authorized.status_code == 200, authorized.text
    transaction = authorized.json()["data"]
    assert (transaction["amount"], transaction["status"]) == (0, "complete")
    assert await stock(api, product["id"]) == (4, 1, 3)
    await eventually(
        lambda: order_state(api, order["id"]),
        lambda s: s == ("processing", "authorized", "unfulfilled"),
        "free order authorized",
    )

    capture_path = f"/v2/orders/{order['id']}/transactions/{transaction['id']}/capture"
    captured = await api["pay_admin"].post(capture_path)
    assert captured.status_code == 200, captured.text
    assert (captured.json()["data"]["transaction_type"], captured.json()["data"]["amount"]) == ("capture", 0)
    twice = await api["pay_admin"].post(capture_path)
    assert twice.status_code == 422 and twice.json()["errors"][0]["title"] == "Transaction already captured"
    await eventually(
        lambda: order_state(api, order["id"]),
        lambda s: s == ("complete", "paid", "unfulfilled"),
        "free order complete",
    )

    shipped = await api["orders"].put(f"/v2/orders/{order['id']}", json=FULFIL)
    assert shipped.status_code == 200, shipped.text
    await eventually(lambda: stock(api, product["id"]), lambda s: s == (3, 0, 3), "stock deducted")
