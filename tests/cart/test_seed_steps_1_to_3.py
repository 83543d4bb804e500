"""The seed's steps 1-3 through real HTTP: add a product (the cart appears), manage the cart,
custom items (implicit tokens only), a promotion code, checkout as a guest and as a customer;
`CartCheckedOut` reaches Kafka with the same totals as the 201 order."""

from __future__ import annotations

from shared.contracts.events import StockLevelChanged
from tests.cart.conftest import ADDRESS, add_product, apply_code, create_product, create_promotion, new_cart
from tests.support.kafka import publish_event, wait_for_envelope
from tests.support.polling import poll_until


async def test_adding_a_product_creates_the_cart_and_managing_it_works(shopper, admin):
    product = await create_product(admin, amount=2500)
    ref = new_cart()
    assert (await shopper.get(f"/v2/carts/{ref}/items")).json()["data"] == []  # unknown: empty, not 404

    added = await add_product(shopper, ref, product["id"], 2)
    assert added.status_code == 201
    [item] = added.json()["data"]
    assert (item["product_id"], item["quantity"], item["unit_price"]["amount"]) == (product["id"], 2, 2500)
    assert added.json()["meta"]["display_price"]["with_tax"] == {
        "amount": 5000,
        "currency": "USD",
        "formatted": "$50.00",
    }
    cart = (await shopper.get(f"/v2/carts/{ref}")).json()["data"]
    assert cart["id"] == ref and cart["meta"]["display_price"]["without_tax"]["amount"] == 5000

    again = await shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "sku": product["sku"], "quantity": 1}}
    )
    assert [i["quantity"] for i in again.json()["data"]] == [3]  # same product: more of it

    changed = await shopper.put(
        f"/v2/carts/{ref}/items/{item['id']}",
        json={"data": {"type": "cart_item", "id": item["id"], "quantity": 5}},
    )
    assert changed.json()["data"][0]["quantity"] == 5
    removed = await shopper.put(f"/v2/carts/{ref}/items/{item['id']}", json={"data": {"quantity": 0}})
    assert removed.status_code == 200 and removed.json()["data"] == []

    await add_product(shopper, ref, product["id"])
    items = (await shopper.get(f"/v2/carts/{ref}/items")).json()["data"]
    deleted = await shopper.delete(f"/v2/carts/{ref}/items/{items[0]['id']}")
    assert deleted.status_code == 200 and deleted.json()["data"] == []
    await add_product(shopper, ref, product["id"])
    assert (await shopper.delete(f"/v2/carts/{ref}/items")).status_code == 204
    assert (await shopper.get(f"/v2/carts/{ref}/items")).json()["data"] == []


async def test_custom_items_need_an_implicit_token(shopper, admin):
    ref = new_cart()
    custom = {
        "data": {
            "type": "custom_item",
            "name": "Shipping",
            "sku": "ship-std",
            "quantity": 1,
            "price": {"amount": 500, "includes_tax": True},
        }
    }
    refused = await admin.post(f"/v2/carts/{ref}/items", json=custom)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["title"] == "Forbidden"
    assert (await shopper.get(f"/v2/carts/{ref}/items")).json()["data"] == []  # nothing half-written

    accepted = await shopper.post(f"/v2/carts/{ref}/items", json=custom)
    assert accepted.status_code == 201
    [line] = accepted.json()["data"]
    assert (line["type"], line["name"], line["unit_price"]["amount"]) == ("custom_item", "Shipping", 500)


async def test_a_promotion_code_discounts_the_cart(shopper, admin):
    product = await create_product(admin, amount=10000)
    await create_promotion(admin, code="SAVE10", amount=1000)
    ref = new_cart()
    await add_product(shopper, ref, product["id"])
    applied = await apply_code(shopper, ref, "save10")
    assert applied.status_code == 201, applied.text
    display = applied.json()["meta"]["display_price"]
    assert display["discount"]["amount"] == -1000 and display["without_discount"]["amount"] == 10000
    assert display["without_tax"]["amount"] == 9000 and display["with_tax"]["amount"] == 9000
    promotion_line = next(i for i in applied.json()["data"] if i["type"] == "promotion_item")
    assert promotion_line["sku"] == "SAVE10"
    assert (await apply_code(shopper, ref, "NOPE")).status_code == 404


async def test_expired_and_exhausted_codes_are_clear_errors(shopper, admin):
    product = await create_product(admin)
    await create_promotion(admin, code="OLD", end="2021-01-01T00:00:00Z")
    await create_promotion(admin, code="ONCE", uses=1)
    ref = new_cart()
    await add_product(shopper, ref, product["id"])
    expired = await apply_code(shopper, ref, "OLD")
    assert expired.status_code == 422 and "expired" in expired.json()["errors"][0]["detail"]

    assert (await apply_code(shopper, ref, "ONCE")).status_code == 201
    checkout = await shopper.post(
        f"/v2/carts/{ref}/checkout",
        json={"data": {"customer": {"name": "Ron", "email": "ron@example.com"}, "billing_address": ADDRESS}},
    )
    assert checkout.status_code == 201
    assert checkout.json()["data"]["meta"]["display_price"]["discount"]["amount"] == -1000

    other = new_cart()
    await add_product(shopper, other, product["id"])
    used_up = await apply_code(shopper, other, "ONCE")
    assert used_up.status_code == 422 and "no uses left" in used_up.json()["errors"][0]["detail"]


async def test_checkout_as_a_guest_answers_the_incomplete_order_and_announces_it(
    shopper, admin, kafka_bootstrap_servers, topic_prefix
):
    product = await create_product(admin, amount=4000)
    await create_promotion(admin, code="TENOFF", amount=1000)
    ref = new_cart()
    await add_product(shopper, ref, product["id"], 2)
    await shopper.post(
        f"/v2/carts/{ref}/items",
        json={
            "data": {
                "type": "custom_item",
                "name": "Shipping",
                "sku": "ship",
                "quantity": 1,
                "price": {"amount": 500, "includes_tax": True},
            }
        },
    )
    await apply_code(shopper, ref, "TENOFF")

    response = await shopper.post(
        f"/v2/carts/{ref}/checkout",
        json={
            "data": {
                "customer": {"name": "Ron Swanson", "email": "ron@example.com"},
                "billing_address": ADDRESS,
                "shipping_address": ADDRESS,
            }
        },
    )
    assert response.status_code == 201, response.text
    order = response.json()["data"]
    assert (order["type"], order["status"], order["payment"], order["shipping"]) == (
        "order",
        "incomplete",
        "unpaid",
        "unfulfilled",
    )
    assert order["customer"] == {"name": "Ron Swanson", "email": "ron@example.com"}
    display = order["meta"]["display_price"]
    assert display["with_tax"]["amount"] == 8000 + 500 - 1000 == display["balance_owing"]["amount"]
    assert len(response.json()["included"]["items"]) == 2

    envelope = await wait_for_envelope(
        kafka_bootstrap_servers, f"{topic_prefix}CartCheckedOut", lambda e: e.data["order_id"] == order["id"]
    )
    assert envelope.aggregate_id == ref and envelope.producer == "cart"
    assert envelope.data["totals"]["with_tax"] == display["with_tax"]["amount"]
    assert envelope.data["totals"]["discount"] == display["discount"]["amount"] == -1000
    assert envelope.data["customer"]["email"] == "ron@example.com"
    assert {line["type"] for line in envelope.data["items"]} == {"cart_item", "custom_item"}

    retry = await shopper.post(
        f"/v2/carts/{ref}/checkout",
        json={
            "data": {
                "customer": {"name": "Ron Swanson", "email": "ron@example.com"},
                "billing_address": ADDRESS,
            }
        },
    )
    assert retry.status_code == 409  # no second order; the answer names the first
    [error] = retry.json()["errors"]
    assert error["title"] == "Cart already checked out" and error["meta"] == {"order_id": order["id"]}


async def test_checkout_as_an_existing_customer(shopper, admin):
    email = f"leslie.{new_cart()[:6]}@example.com"
    created = await shopper.post(
        "/v2/customers",
        json={"data": {"type": "customer", "name": "Leslie Knope", "email": email, "password": "waffles!"}},
    )
    assert created.status_code == 201 and created.json()["data"]["password"] is True
    customer_id = created.json()["data"]["id"]
    signed_in = await shopper.post(
        "/v2/customers/tokens",
        json={
            "data": {
                "type": "token",
                "authentication_mechanism": "password",
                "email": email,
                "password": "waffles!",
            }
        },
    )
    assert signed_in.status_code == 200 and signed_in.json()["data"]["customer_id"] == customer_id

    product = await create_product(admin)
    ref = new_cart()
    await add_product(shopper, ref, product["id"])
    as_customer = {"data": {"customer": {"id": customer_id}, "billing_address": ADDRESS}}
    refused = await shopper.post(f"/v2/carts/{ref}/checkout", json=as_customer)
    assert refused.status_code == 403 and refused.json()["errors"][0]["source"] == "data.customer.id"
    response = await shopper.post(
        f"/v2/carts/{ref}/checkout",
        json=as_customer,
        headers={"X-Moltin-Customer-Token": signed_in.json()["data"]["token"]},
    )
    assert response.status_code == 201, response.text
    order = response.json()["data"]
    assert order["customer"] == {"name": "Leslie Knope", "email": email}
    assert order["relationships"]["customer"]["data"]["id"] == customer_id

    unknown = await admin.post(
        f"/v2/carts/{new_cart()}/checkout",
        json={
            "data": {"customer": {"id": "00000000-0000-0000-0000-000000000000"}, "billing_address": ADDRESS}
        },
    )
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["source"] == "data.customer.id"


async def test_stock_managed_products_are_checked_against_published_availability(
    shopper, admin, kafka_bootstrap_servers, topic_prefix
):
    product = await create_product(admin, manage_stock=True)
    ref = new_cart()
    add = {"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
    no_stock = await shopper.post(f"/v2/carts/{ref}/items", json=add)
    assert no_stock.status_code == 400 and no_stock.json()["errors"][0]["title"] == "Insufficient stock"

    level = StockLevelChanged(product_id=product["id"], total=3, allocated=0, available=3, version=1)
    await publish_event(kafka_bootstrap_servers, topic_prefix, level, product["id"], "inventory")
    response = await poll_until(  # until the cart service has consumed the level (it crosses Kafka)
        lambda: shopper.post(
            f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 3}}
        ),
        lambda r: r.status_code == 201,
    )
    assert response.status_code == 201 and response.json()["data"][0]["quantity"] == 3, response.text
    too_many = await shopper.post(f"/v2/carts/{ref}/items", json=add)
    assert too_many.status_code == 400 and too_many.json()["errors"][0]["title"] == "Insufficient stock"
    assert (await shopper.get(f"/v2/carts/{ref}/items")).json()["data"][0]["quantity"] == 3
