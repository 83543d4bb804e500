"""A promotion code for one customer discounts only that customer's checkout (issue 22, point 5).

The attack: a code whose `user` is customer Ann was checked against the customer only when it was
applied (with Ann's token). Anyone holding the cart's reference then checked it out with the discount,
as a guest or as another customer. Now the checkout uses the code as the customer checking out, and
refuses (422, the error applying it gives) when the code is not theirs: nothing is written, and Ann
can still check the cart out with her discount.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import pytest

from tests.cart.conftest import ADDRESS
from tests.security.conftest import client
from tests.security.ep_errors import assert_ep_error
from tests.security.responsiveness import assert_stayed_responsive, latencies_during, usual_latency
from tests.security.shoppers import RegisteredCustomer, create_product, register_customer

DISCOUNT = 500
PRICE = 2500
ATTEMPTS = 20
"""Rounds of the two refused checkouts while the unrelated read is timed."""


async def promotion_for(services: Any, admin_token: str, customer: RegisteredCustomer) -> str:
    """A 5 USD promotion whose one code only `customer` may use; the code."""
    code = f"ANN-{uuid4().hex[:8]}"
    async with client(services["cart"], admin_token) as admin:
        created = await admin.post(
            "/v2/promotions",
            json={
                "data": {
                    "type": "promotion",
                    "name": "For Ann only",
                    "enabled": True,
                    "promotion_type": "fixed_discount",
                    "schema": {"currencies": [{"currency": "USD", "amount": DISCOUNT}]},
                    "start": "2020-01-01T00:00:00Z",
                    "end": "2099-01-01T00:00:00Z",
                }
            },
        )
        assert created.status_code == 201, created.text
        codes = await admin.post(
            f"/v2/promotions/{created.json()['data']['id']}/codes",
            json={"data": {"type": "promotion_codes", "codes": [{"code": code, "user": customer.id}]}},
        )
        assert codes.status_code == 201, codes.text
    return code


@pytest.fixture(scope="module")
async def shop(services, admin_token, shopper_token) -> dict[str, Any]:
    cart = services["cart"]
    ann = await register_customer(cart, shopper_token)
    return {
        "product": await create_product(cart, admin_token, amount=PRICE),
        "ann": ann,
        "ben": await register_customer(cart, shopper_token),
        "code": await promotion_for(services, admin_token, ann),
    }


def checkout_body(customer: dict[str, str]) -> dict[str, Any]:
    return {"data": {"customer": customer, "billing_address": ADDRESS, "shipping_address": ADDRESS}}


async def test_a_code_for_one_customer_is_refused_at_a_guest_or_another_customers_checkout(
    services, shopper_token, shop
):
    cart = services["cart"]
    ann, ben, code = shop["ann"], shop["ben"], shop["code"]
    ref = uuid4().hex
    async with client(cart, shopper_token, **{"X-Moltin-Customer-Token": ann.token}) as as_ann:
        added = await as_ann.post(
            f"/v2/carts/{ref}/items",
            json={"data": {"type": "cart_item", "id": shop["product"]["id"], "quantity": 1}},
        )
        assert added.status_code == 201, added.text
        applied = await as_ann.post(
            f"/v2/carts/{ref}/items", json={"data": {"type": "promotion_item", "code": code}}
        )
        assert applied.status_code == 201, applied.text
    async with client(cart, shopper_token) as as_guest, client(cart, shopper_token) as reader:
        refused = await as_guest.post(
            f"/v2/carts/{ref}/items", json={"data": {"type": "promotion_item", "code": code}}
        )
        assert assert_ep_error(refused, 422)["meta"] == {"code": code}  # applying was always checked

        async def read() -> None:
            answer = await reader.get(f"/v2/products/{shop['product']['id']}")
            assert answer.status_code == 200, answer.text

        async def attack() -> list[tuple[str, Any]]:
            async with client(cart, shopper_token, **{"X-Moltin-Customer-Token": ben.token}) as as_ben:
                answers = []
                for _ in range(ATTEMPTS):
                    guest, other = await asyncio.gather(
                        as_guest.post(
                            f"/v2/carts/{ref}/checkout",
                            json=checkout_body({"name": "Guest", "email": "guest@example.com"}),
                        ),
                        as_ben.post(f"/v2/carts/{ref}/checkout", json=checkout_body({"id": ben.id})),
                    )
                    answers += [("a guest", guest), ("another customer", other)]
                return answers

        usual = await usual_latency(read)
        answers, during = await latencies_during(attack(), read)

    for who, answer in answers:
        error = assert_ep_error(answer, 422)
        assert error["title"] == "Promotion not applicable" and error["meta"] == {"code": code}, (who, error)
    assert_stayed_responsive(usual, during)

    # Nothing was written: the cart is still unchecked-out (no 409), and the code still Ann's to use.
    async with client(cart, shopper_token, **{"X-Moltin-Customer-Token": ann.token}) as as_ann:
        placed = await as_ann.post(f"/v2/carts/{ref}/checkout", json=checkout_body({"id": ann.id}))
    assert placed.status_code == 201, placed.text
    prices = placed.json()["data"]["meta"]["display_price"]
    assert (prices["discount"]["amount"], prices["without_tax"]["amount"]) == (-DISCOUNT, PRICE - DISCOUNT)
