"""Shipping, separate from the order's status: only a paid order can be flagged `fulfilled`;
fulfilment then records the shipment and announces `OrderShipped` once; a fulfilled order can no
longer be cancelled; shoppers can never flag it; doing it twice changes nothing."""

from __future__ import annotations

from uuid import uuid4

from shared.contracts.events import PaymentCaptured
from tests.cart.conftest import ADDRESS, create_product
from tests.support.kafka import envelopes_up_to_now, publish_event, wait_for_envelope
from tests.support.polling import poll_until
from tests.support.settling import services_settled


async def placed_order(cart_admin, cart_shopper) -> dict:
    product = await create_product(cart_admin, amount=2500, manage_stock=False)
    ref = uuid4().hex
    await cart_shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 2}}
    )
    response = await cart_shopper.post(
        f"/v2/carts/{ref}/checkout",
        json={
            "data": {
                "customer": {"name": "Ben Wyatt", "email": "ben@example.com"},
                "billing_address": ADDRESS,
            }
        },
    )
    assert response.status_code == 201
    return response.json()["data"]


async def pay_in_full(order: dict, kafka: str, prefix: str) -> None:
    """Play the payment service: a capture of the whole total."""
    total = order["meta"]["display_price"]["with_tax"]
    fact = PaymentCaptured(
        order_id=order["id"],
        transaction_id=str(uuid4()),
        gateway="manual",
        amount={"amount": total["amount"], "currency": total["currency"]},
    )
    await publish_event(kafka, prefix, fact, order["id"], "payment")


async def wait_for_payment(order_admin, order_id: str, payment: str) -> dict:
    """The order once the order service has consumed its payment (a 60 s deadline: it crosses Kafka)."""
    response = await poll_until(
        lambda: order_admin.get(f"/v2/orders/{order_id}"),
        lambda r: r.status_code == 200 and r.json()["data"]["payment"] == payment,
    )
    assert response.status_code == 200 and response.json()["data"]["payment"] == payment, (
        f"order {order_id} never became {payment}: {response.text}"
    )
    return response.json()["data"]


FULFIL = {"data": {"type": "order", "shipping": "fulfilled"}}


async def test_a_paid_order_is_flagged_fulfilled_and_shipped_once(
    cart_and_order_clients, order_service, fulfillment_service, kafka_bootstrap_servers, topic_prefix
):
    cart_admin, cart_shopper, order_admin, order_shopper = cart_and_order_clients
    order = await placed_order(cart_admin, cart_shopper)
    await wait_for_payment(order_admin, order["id"], "unpaid")  # consumed: a PUT waits only 3 s for it

    unpaid = await order_admin.put(f"/v2/orders/{order['id']}", json=FULFIL)
    assert unpaid.status_code == 422 and "paid" in unpaid.json()["errors"][0]["detail"]

    await pay_in_full(order, kafka_bootstrap_servers, topic_prefix)
    paid = await wait_for_payment(order_admin, order["id"], "paid")
    assert (paid["status"], paid["shipping"]) == ("complete", "unfulfilled")  # complete but not shipped

    assert (await order_shopper.put(f"/v2/orders/{order['id']}", json=FULFIL)).status_code == 403
    flagged = await order_admin.put(f"/v2/orders/{order['id']}", json=FULFIL)
    assert flagged.status_code == 200, flagged.text
    assert (flagged.json()["data"]["shipping"], flagged.json()["data"]["status"]) == ("fulfilled", "complete")

    shipped = await wait_for_envelope(
        kafka_bootstrap_servers, f"{topic_prefix}OrderShipped", lambda e: e.data["order_id"] == order["id"]
    )
    assert shipped.producer == "fulfillment"

    again = await order_admin.put(f"/v2/orders/{order['id']}", json=FULFIL)
    assert again.status_code == 200 and again.json()["data"]["shipping"] == "fulfilled"
    cancel = await order_admin.put(
        f"/v2/orders/{order['id']}", json={"data": {"type": "order", "status": "cancelled"}}
    )
    assert cancel.status_code == 422 and cancel.json()["errors"][0]["title"] == "Order cannot be cancelled"

    # Whatever the second flag caused has been published: the order service's outbox relayed, the
    # fulfilment service's group past it, and what that published relayed too.
    await services_settled(kafka_bootstrap_servers, topic_prefix, [order_service, fulfillment_service])
    everything = await envelopes_up_to_now(kafka_bootstrap_servers, f"{topic_prefix}OrderShipped")
    ours = [e for e in everything if e.data["order_id"] == order["id"]]
    assert len(ours) == 1


async def test_a_cancelled_order_cannot_be_fulfilled(cart_and_order_clients):
    cart_admin, cart_shopper, order_admin, _ = cart_and_order_clients
    order = await placed_order(cart_admin, cart_shopper)
    await wait_for_payment(order_admin, order["id"], "unpaid")  # consumed: a PUT waits only 3 s for it
    cancelled = await order_admin.put(
        f"/v2/orders/{order['id']}", json={"data": {"type": "order", "status": "cancelled"}}
    )
    assert cancelled.status_code == 200
    refused = await order_admin.put(f"/v2/orders/{order['id']}", json=FULFIL)
    assert refused.status_code == 422 and refused.json()["errors"][0]["title"] == "Order cannot be fulfilled"
