"""A shopper cannot read or pay another shopper's orders or transactions (orders and payments
apply one rule, `shared.auth.may_access_order`): a registered customer's order needs that
customer's X-Moltin-Customer-Token; refusals are 404s, as for an order that does not exist."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from shared.auth.customers import issue_customer_token
from tests.cart.conftest import ADDRESS
from tests.security import canaries
from tests.security.conftest import client
from tests.security.ep_errors import assert_ep_error
from tests.security.shoppers import (
    RegisteredCustomer,
    check_out,
    consumed_everywhere,
    create_product,
    register_customer,
)
from tests.support.polling import poll_until

MANUAL = {"data": {"gateway": "manual", "method": "authorize"}}


@pytest.fixture(scope="module")
async def shop(services, admin_token, shopper_token) -> dict[str, Any]:
    cart = services["cart"]
    product = await create_product(cart, admin_token)
    ann = await register_customer(cart, shopper_token)
    ben = await register_customer(cart, shopper_token)
    ann_order = await check_out(cart, shopper_token, product["id"], {"id": ann.id}, ann.token)
    guest_order = await check_out(
        cart, shopper_token, product["id"], {"name": "Guest", "email": "guest@example.com"}
    )
    for order in (ann_order, guest_order):
        await consumed_everywhere(services, admin_token, order["id"])
    return {"ann": ann, "ben": ben, "ann_order": ann_order, "guest_order": guest_order}


def as_customer(customer: RegisteredCustomer | None) -> dict[str, str]:
    return {} if customer is None else {"X-Moltin-Customer-Token": customer.token}


async def test_only_the_customer_or_an_admin_checks_out_as_a_registered_customer(
    services, shopper_token, admin_token, shop
):
    """Checking out as `customer.id` would put the customer's name and email in the answer and the
    order in their history: another shopper is refused (403, whether or not the id exists)."""
    cart, ann, ben = services["cart"], shop["ann"], shop["ben"]
    product = await create_product(cart, admin_token)
    ref = uuid4().hex
    body = {"data": {"customer": {"id": ann.id}, "billing_address": ADDRESS}}
    async with client(cart, shopper_token) as http:
        added = await http.post(
            f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
        )
        assert added.status_code == 201
    for intruder in (ben, None):
        async with client(cart, shopper_token, **as_customer(intruder)) as http:
            refused = await http.post(f"/v2/carts/{ref}/checkout", json=body)
            assert_ep_error(refused, 403)
            assert ann.email not in refused.text
            unknown = {"data": {"customer": {"id": str(uuid4())}, "billing_address": ADDRESS}}
            assert_ep_error(await http.post(f"/v2/carts/{ref}/checkout", json=unknown), 403)
    async with client(cart, shopper_token, **as_customer(ann)) as http:
        placed = await http.post(f"/v2/carts/{ref}/checkout", json=body)  # nothing was half-done
        assert placed.status_code == 201, placed.text
        assert placed.json()["data"]["customer"]["email"] == ann.email
    async with client(cart, admin_token) as http:  # a back office may act for any customer
        ref = uuid4().hex
        await http.post(
            f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
        )
        assert (await http.post(f"/v2/carts/{ref}/checkout", json=body)).status_code == 201


async def test_another_customers_order_is_not_found_for_a_shopper(services, shopper_token, shop):
    order_id = shop["ann_order"]["id"]
    for intruder in (shop["ben"], None):
        async with client(services["order"], shopper_token, **as_customer(intruder)) as orders:
            for path in (f"/v2/orders/{order_id}", f"/v2/orders/{order_id}/items"):
                assert_ep_error(await orders.get(path), 404)
    async with client(services["order"], shopper_token, **as_customer(shop["ann"])) as orders:
        assert (await orders.get(f"/v2/orders/{order_id}")).status_code == 200


async def test_listing_shows_a_shopper_only_their_own_orders(services, shopper_token, shop):
    ann, ben = shop["ann"], shop["ben"]
    async with client(services["order"], shopper_token, **as_customer(ann)) as orders:
        # The listing is a projection, applied after the order: until Ann's order is listed to her,
        # an empty list for Ben would prove nothing.
        own = await poll_until(
            lambda: orders.get("/v2/orders"),
            lambda r: shop["ann_order"]["id"] in {o["id"] for o in r.json()["data"]},
        )
    assert shop["ann_order"]["id"] in {o["id"] for o in own.json()["data"]}, own.text
    async with client(services["order"], shopper_token, **as_customer(ben)) as orders:
        listed = await orders.get("/v2/orders")
        forced = await orders.get(f"/v2/orders?filter=eq(customer_id,{ann.id})")
    assert listed.status_code == 200 and forced.status_code == 200, (listed.text, forced.text)
    assert listed.json()["data"] == [] and forced.json()["data"] == []


async def test_a_shopper_cannot_pay_another_customers_order(services, shopper_token, admin_token, shop):
    order_id = shop["ann_order"]["id"]
    for intruder in (shop["ben"], None):
        async with client(services["payment"], shopper_token, **as_customer(intruder)) as payments:
            assert_ep_error(await payments.post(f"/v2/orders/{order_id}/payments", json=MANUAL), 404)
            assert_ep_error(await payments.get(f"/v2/orders/{order_id}/transactions"), 404)
    async with client(services["payment"], admin_token) as admin:
        untouched = await admin.get(f"/v2/orders/{order_id}/transactions")
    assert untouched.status_code == 200 and untouched.json()["data"] == []  # the refusals paid nothing


async def test_only_the_owner_reads_and_confirms_the_transactions(services, shopper_token, admin_token, shop):
    order_id = shop["ann_order"]["id"]
    async with client(services["payment"], shopper_token, **as_customer(shop["ann"])) as owner:
        paid = await owner.post(f"/v2/orders/{order_id}/payments", json=MANUAL)
        assert paid.status_code == 200, paid.text
        transaction_id = paid.json()["data"]["id"]
        one = f"/v2/orders/{order_id}/transactions/{transaction_id}"
        assert (await owner.get(f"/v2/orders/{order_id}/transactions")).status_code == 200
        assert (await owner.get(one)).status_code == 200
    for intruder in (shop["ben"], None):
        async with client(services["payment"], shopper_token, **as_customer(intruder)) as other:
            assert_ep_error(await other.get(f"/v2/orders/{order_id}/transactions"), 404)
            assert_ep_error(await other.get(one), 404)
            assert_ep_error(await other.post(f"{one}/confirm"), 404)
    async with client(services["payment"], admin_token) as admin:
        seen = await admin.get(one)
    assert seen.status_code == 200 and seen.json()["data"]["status"] == "complete"


async def test_a_guests_order_is_reached_by_its_unguessable_id(services, shopper_token, shop):
    order_id = shop["guest_order"]["id"]
    async with client(services["payment"], shopper_token) as payments:
        paid = await payments.post(f"/v2/orders/{order_id}/payments", json=MANUAL)
        assert paid.status_code == 200, paid.text
        assert (await payments.get(f"/v2/orders/{order_id}/transactions")).status_code == 200


@pytest.mark.parametrize("which", ["forged", "expired"])
async def test_a_bad_customer_token_is_refused(services, shopper_token, shop, which):
    ann = shop["ann"]
    if which == "forged":
        token, _ = issue_customer_token(
            ann.id, canaries.settings(jwt_secret="someone-elses-secret-0123456789abcdef")
        )
    else:
        token, _ = issue_customer_token(ann.id, canaries.settings(), now=1_000_000_000)
    headers = {"X-Moltin-Customer-Token": token}
    order_id = shop["ann_order"]["id"]
    async with client(services["payment"], shopper_token, **headers) as payments:
        assert_ep_error(await payments.get(f"/v2/orders/{order_id}/transactions"), 401)
    async with client(services["order"], shopper_token, **headers) as orders:
        assert_ep_error(await orders.get(f"/v2/orders/{order_id}"), 401)
