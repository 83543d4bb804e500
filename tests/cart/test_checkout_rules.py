"""Checkout's input rules: the seed's email error exactly, addresses, empty carts."""

from __future__ import annotations

import pytest

from tests.cart.conftest import ADDRESS, create_product, new_cart

SEED_EMAIL_ERROR = {
    "errors": [
        {
            "status": 400,
            "source": "data.customer.email",
            "title": "format",
            "detail": "Does not match format 'email",
        }
    ]
}


async def cart_with_item(shopper, admin) -> str:
    product = await create_product(admin)
    ref = new_cart()
    response = await shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
    )
    assert response.status_code == 201
    return ref


@pytest.mark.parametrize("email", [".a@example.com", "a.@example.com", "a..b@example.com"])
async def test_the_seeds_email_rule_answers_exactly_the_documented_error(shopper, admin, email):
    ref = await cart_with_item(shopper, admin)
    response = await shopper.post(
        f"/v2/carts/{ref}/checkout",
        json={"data": {"customer": {"name": "Ron", "email": email}, "billing_address": ADDRESS}},
    )
    assert response.status_code == 400
    assert response.json() == SEED_EMAIL_ERROR
    assert (await shopper.get(f"/v2/carts/{ref}/items")).json()["data"][0]["quantity"] == 1  # cart untouched


async def test_a_plain_dotted_email_is_accepted(shopper, admin):
    ref = await cart_with_item(shopper, admin)
    response = await shopper.post(
        f"/v2/carts/{ref}/checkout",
        json={"data": {"customer": {"name": "Ron", "email": "a.b@example.com"}, "billing_address": ADDRESS}},
    )
    assert response.status_code == 201 and response.json()["data"]["customer"]["email"] == "a.b@example.com"


@pytest.mark.parametrize("field", ["first_name", "last_name", "line_1", "postcode", "country"])
async def test_a_missing_required_address_field_is_named(shopper, admin, field):
    ref = await cart_with_item(shopper, admin)
    billing = {k: v for k, v in ADDRESS.items() if k != field}
    response = await shopper.post(
        f"/v2/carts/{ref}/checkout",
        json={"data": {"customer": {"name": "Ron", "email": "ron@example.com"}, "billing_address": billing}},
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["source"], error["title"]) == (f"data.billing_address.{field}", "required")


async def test_guest_checkout_needs_a_name_and_an_email(shopper, admin):
    ref = await cart_with_item(shopper, admin)
    response = await shopper.post(
        f"/v2/carts/{ref}/checkout",
        json={"data": {"customer": {"email": "ron@example.com"}, "billing_address": ADDRESS}},
    )
    assert response.status_code == 400
    assert [e["source"] for e in response.json()["errors"]] == ["data.customer.name"]


async def test_an_empty_cart_cannot_be_checked_out(shopper):
    response = await shopper.post(
        f"/v2/carts/{new_cart()}/checkout",
        json={"data": {"customer": {"name": "Ron", "email": "ron@example.com"}, "billing_address": ADDRESS}},
    )
    assert response.status_code == 400 and response.json()["errors"][0]["title"] == "Cart is empty"
