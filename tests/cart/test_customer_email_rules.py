"""Customers register with a well-formed, unused email: `POST /v2/customers` answers the seed's
email error (400 `format` on `data.email`) for a malformed one, including one whose domain starts
with a period, and 409 `Duplicate email` for one already registered in any letter case, which
leaves the first registration as it was."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

from services.cart.domain.email import is_valid_email
from tests.cart import registered_customers
from tests.cart.conftest import ADDRESS, create_product, new_cart

EMAIL_ERROR = {
    "errors": [
        {"status": 400, "source": "data.email", "title": "format", "detail": "Does not match format 'email"}
    ]
}
MALFORMED = [
    "a@.example.com",  # the domain starts with a period
    ".a@example.com",
    "a.@example.com",
    "a..b@example.com",
    "a@example.com.",
    "no-at-sign.example.com",
    "a@no-dot",
]


@pytest.mark.parametrize("email", MALFORMED)
def test_the_email_rule_refuses(email: str) -> None:
    assert not is_valid_email(email)


@pytest.mark.parametrize("email", ["a@example.com", "a.b@sub.example.com"])
def test_the_email_rule_accepts(email: str) -> None:
    assert is_valid_email(email)


def unique(local: str = "leslie") -> str:
    return f"{local}-{uuid4().hex[:8]}@example.com"


async def register(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    body = {"data": {"type": "customer", "name": "Leslie Knope", "email": email, "password": password}}
    return await client.post("/v2/customers", json=body)


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> int:
    return (await registered_customers.sign_in(client, email, password)).status_code


@pytest.mark.parametrize("email", MALFORMED)
async def test_registering_a_malformed_email_is_the_seeds_email_error(shopper, email):
    response = await register(shopper, email, "waffles and friends and work")
    assert response.status_code == 400, response.text
    assert response.json() == EMAIL_ERROR


async def test_registering_an_email_twice_is_409_and_the_first_customer_keeps_it(shopper):
    email = unique()
    first = await register(shopper, email, "first customer's passphrase")
    assert first.status_code == 201, first.text

    again = await register(shopper, email.upper(), "second customer's passphrase")
    assert again.status_code == 409, again.text
    [error] = again.json()["errors"]
    assert (error["status"], error["title"], error["source"]) == (409, "Duplicate email", "data.email")

    assert await sign_in(shopper, email, "first customer's passphrase") == 200
    assert await sign_in(shopper, email, "second customer's passphrase") == 401


async def test_checkout_refuses_an_email_whose_domain_starts_with_a_period(shopper, admin):
    product = await create_product(admin)
    ref = new_cart()
    added = await shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
    )
    assert added.status_code == 201, added.text
    response = await shopper.post(
        f"/v2/carts/{ref}/checkout",
        json={"data": {"customer": {"name": "Ron", "email": "ron@.example.com"}, "billing_address": ADDRESS}},
    )
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert (error["source"], error["title"]) == ("data.customer.email", "format")
