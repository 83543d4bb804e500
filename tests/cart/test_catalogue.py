"""One catalogue shared through `ProductPublished`: ours goes out, other systems' comes in."""

from __future__ import annotations

from uuid import uuid4

from shared.contracts.events import ProductPublished
from tests.cart.conftest import create_product, new_cart
from tests.support.kafka import publish_event, wait_for_envelope
from tests.support.polling import poll_until


async def test_an_admin_product_is_published_for_other_services(
    admin, shopper, kafka_bootstrap_servers, topic_prefix
):
    product = await create_product(admin, amount=1234, manage_stock=True)
    envelope = await wait_for_envelope(
        kafka_bootstrap_servers, f"{topic_prefix}ProductPublished", lambda e: e.aggregate_id == product["id"]
    )
    assert envelope.data["sku"] == product["sku"] and envelope.data["manage_stock"] is True
    assert envelope.data["price"] == [{"amount": 1234, "currency": "USD", "includes_tax": False}]
    assert (await shopper.get(f"/v2/products/{product['id']}")).json()["data"]["sku"] == product["sku"]
    # The listing is a projection, applied after the write: wait for it, not for the relay.
    listed = await poll_until(
        lambda: shopper.get("/v2/products?page[limit]=100"),
        lambda r: product["id"] in {p["id"] for p in r.json()["data"]},
    )
    assert product["id"] in {p["id"] for p in listed.json()["data"]}, listed.text
    assert listed.json()["meta"]["results"]["total"] >= 1


async def test_a_product_published_by_another_catalogue_can_be_added_to_a_cart(
    shopper, kafka_bootstrap_servers, topic_prefix
):
    product_id, sku = str(uuid4()), f"pim-{uuid4().hex[:6]}"
    event = ProductPublished(
        product_id=product_id,
        sku=sku,
        name="Imported lamp",
        price=[{"amount": 7000, "currency": "USD", "includes_tax": False}],
    )
    await publish_event(kafka_bootstrap_servers, topic_prefix, event, product_id, "pim")
    ref = new_cart()
    response = await poll_until(  # until the cart service has consumed the import (it crosses Kafka)
        lambda: shopper.post(
            f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "sku": sku, "quantity": 1}}
        ),
        lambda r: r.status_code == 201,
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"][0]["name"] == "Imported lamp"
    assert response.json()["data"][0]["unit_price"]["amount"] == 7000


async def test_tax_items_make_totals_real_and_are_admin_only(admin, shopper):
    product = await create_product(admin, amount=10000)
    ref = new_cart()
    added = await shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
    )
    item_id = added.json()["data"][0]["id"]
    tax = {"data": {"type": "tax_item", "name": "VAT", "jurisdiction": "UK", "code": "VAT20", "rate": 0.2}}
    assert (await shopper.post(f"/v2/carts/{ref}/items/{item_id}/taxes", json=tax)).status_code == 403
    created = await admin.post(f"/v2/carts/{ref}/items/{item_id}/taxes", json=tax)
    assert created.status_code == 201, created.text
    display = (await shopper.get(f"/v2/carts/{ref}")).json()["data"]["meta"]["display_price"]
    assert (display["without_tax"]["amount"], display["tax"]["amount"], display["with_tax"]["amount"]) == (
        10000,
        2000,
        12000,
    )
    bad = await admin.post(
        f"/v2/carts/{ref}/items/{item_id}/taxes", json={"data": {"type": "tax_item", "rate": 5}}
    )
    assert bad.status_code == 400
