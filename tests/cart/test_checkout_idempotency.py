"""`Idempotency-Key` on checkout: a retry with the same key and body answers the first 201 again
(without a key it is the 409 naming the order, as before), also after a crash between the checkout
and its answer; another body is a 422; another caller's key is another key; keys expire."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import httpx
import pytest

from shared.http.idempotency_faults import FAULT_ENV
from tests.cart.conftest import ADDRESS, create_product, new_cart
from tests.support.idempotency import assert_key_refused_for_another_body
from tests.support.openapi import validate_response
from tests.support.services import RunningService, authenticated_client

GUEST = {"name": "Ron Swanson", "email": "ron@example.com"}
TTL_ENV = "IDEMPOTENCY_KEY_TTL_SECONDS"


async def _cart_with_item(shopper: httpx.AsyncClient, admin: httpx.AsyncClient) -> str:
    product = await create_product(admin)
    ref = new_cart()
    response = await shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
    )
    assert response.status_code == 201, response.text
    return ref


async def _check_out(
    client: httpx.AsyncClient, ref: str, key: str | None, customer: dict[str, Any] = GUEST
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    body = {"data": {"customer": customer, "billing_address": ADDRESS}}
    return await client.post(f"/v2/carts/{ref}/checkout", json=body, headers=headers)


async def test_a_retried_checkout_answers_its_first_answer(
    shopper: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    ref = await _cart_with_item(shopper, admin)
    key = f"checkout-{uuid4()}"
    first = await _check_out(shopper, ref, key)
    retried = await _check_out(shopper, ref, key)
    unkeyed = await _check_out(shopper, ref, None)
    assert first.status_code == 201, first.text
    assert (retried.status_code, retried.content) == (201, first.content)
    assert retried.headers.get("Idempotent-Replayed") == "true"
    validate_response("carts-orders.yaml", "/v2/carts/{cartID}/checkout", "post", "200", retried.json())
    assert unkeyed.status_code == 409, unkeyed.text  # without a key, as before: no second order
    assert unkeyed.json()["errors"][0]["meta"] == {"order_id": first.json()["data"]["id"]}


async def test_the_same_key_with_another_body_is_refused(
    shopper: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    ref = await _cart_with_item(shopper, admin)
    key = f"checkout-{uuid4()}"
    first = await _check_out(shopper, ref, key)
    other = await _check_out(shopper, ref, key, {"name": "Leslie Knope", "email": "leslie@example.com"})
    assert first.status_code == 201, first.text
    assert_key_refused_for_another_body(other)


async def test_a_key_is_its_callers_own(
    cart_service: RunningService, shopper: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    """Another shopper (another token) sending the first one's key and body is not answered the
    first one's order: the cart is checked out, so theirs is the 409; the first one's retry replays."""
    ref = await _cart_with_item(shopper, admin)
    key = f"checkout-{uuid4()}"
    first = await _check_out(shopper, ref, key)
    other = await authenticated_client(cart_service.url, admin=False)
    try:
        theirs = await _check_out(other, ref, key)
    finally:
        await other.aclose()
    again = await _check_out(shopper, ref, key)
    assert first.status_code == 201, first.text
    assert theirs.status_code == 409, theirs.text
    assert "Idempotent-Replayed" not in theirs.headers
    assert (again.status_code, again.content) == (201, first.content)


async def test_a_checkout_cut_short_before_its_answer_is_answered_to_the_retry(
    cart_service: RunningService, admin: httpx.AsyncClient
) -> None:
    """Killed after the checkout committed (its answer kept with it), before the answer was sent:
    the retry gets the 201 with the order, and there is still one order."""
    shopper = await authenticated_client(cart_service.url, admin=False)
    ref = await _cart_with_item(shopper, admin)
    key = f"checkout-{uuid4()}"
    cart_service.env[FAULT_ENV] = "1"
    await cart_service.restart()
    try:
        with pytest.raises(httpx.TransportError):
            await _check_out(shopper, ref, key)
        for _ in range(200):
            if cart_service.process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        assert cart_service.process.returncode == -9  # SIGKILL, by the test hook
    finally:
        cart_service.env.pop(FAULT_ENV)
        await cart_service.restart()
    retried = await _check_out(shopper, ref, key)
    again = await _check_out(shopper, ref, None)
    await shopper.aclose()
    assert retried.status_code == 201, retried.text
    order = retried.json()["data"]
    assert (order["type"], order["customer"]["email"]) == ("order", GUEST["email"])
    assert again.status_code == 409, again.text  # one order: the one the retry was answered
    assert again.json()["errors"][0]["meta"] == {"order_id": order["id"]}


async def test_a_key_expires(cart_service: RunningService, admin: httpx.AsyncClient) -> None:
    """Kept IDEMPOTENCY_KEY_TTL_SECONDS (1 here): past that the key is new, and the checked-out cart's
    retry is the 409 any new checkout of it gets, no longer the replayed 201."""
    cart_service.env[TTL_ENV] = "1"
    await cart_service.restart()
    try:
        shopper = await authenticated_client(cart_service.url, admin=False)
        ref = await _cart_with_item(shopper, admin)
        key = f"checkout-{uuid4()}"
        first = await _check_out(shopper, ref, key)
        assert first.status_code == 201, first.text
        await asyncio.sleep(1.5)  # the row's expiry, by the database's clock, is behind us
        expired = await _check_out(shopper, ref, key)
        await shopper.aclose()
    finally:
        cart_service.env.pop(TTL_ENV)
        await cart_service.restart()
    assert expired.status_code == 409, expired.text
    assert expired.json()["errors"][0]["meta"] == {"order_id": first.json()["data"]["id"]}


async def test_a_refusal_the_checkout_decided_is_kept_and_a_malformed_key_refused(
    shopper: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    """An empty cart's 400 is the checkout's decision: its key answers it again, byte for byte, even
    once the cart has an item (a new key checks it out). A key that is not 1 to 200 printable ASCII
    characters is Elastic Path's 400, and nothing runs."""
    ref = new_cart()
    key = f"checkout-{uuid4()}"
    empty = await _check_out(shopper, ref, key)
    assert empty.status_code == 400, empty.text
    product = await create_product(admin)
    added = await shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
    )
    assert added.status_code == 201, added.text
    again = await _check_out(shopper, ref, key)
    assert (again.status_code, again.content) == (400, empty.content)
    assert again.headers.get("Idempotent-Replayed") == "true"
    malformed = await _check_out(shopper, ref, "two words")
    assert malformed.status_code == 400, malformed.text
    [error] = malformed.json()["errors"]
    assert (error["status"], error["source"]) == (400, "Idempotency-Key")
    checked_out = await _check_out(shopper, ref, f"checkout-{uuid4()}")
    assert checked_out.status_code == 201, checked_out.text  # the malformed key's request did nothing
