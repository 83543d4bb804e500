"""A cart reference does not give away the orders it became (issue 22, point 6).

A guest order is read by its id alone, and carries the shopper's name, email, addresses and phone.
The id was a uuid5 of public constants and `cart_ref@version`: whoever knew a cart's reference
(short, customer-derived or sequential references are common) computed its orders' ids offline and
read them. Now it is an HMAC keyed by ORDER_ID_SECRET, still the same for a retried checkout.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid4, uuid5

import httpx

from services.cart.domain.order_ids import OrderIds
from services.cart.settings import DEV_ORDER_ID_SECRET
from tests.cart.conftest import ADDRESS
from tests.security import canaries
from tests.security.conftest import client, token_over_http
from tests.security.ep_errors import assert_ep_error
from tests.security.responsiveness import assert_stayed_responsive, latencies_during, usual_latency
from tests.security.shoppers import consumed_everywhere, create_product
from tests.support.services import RunningService

GUESSES = 10
"""Order ids the attacker computes (the reference at versions 1 to 10, the real one among them) and
reads one after another while an unrelated read is timed: each is a well-formed id, so the service
waits its whole checkout wait for it (ORDER_CHECKOUT_WAIT_SECONDS, 1 s in this package); ten such
reads hold the service long enough to time it."""

PUBLIC_NAMESPACE = uuid5(NAMESPACE_URL, "https://checkout-platform/orders")
"""What the ids were derived from: a constant anyone could read in this repository."""


def computed_from_public_constants(cart_ref: str, version: int) -> str:
    """The attacker's offline computation of the order a cart became at `version`."""
    return str(uuid5(PUBLIC_NAMESPACE, f"{cart_ref}@{version}"))


async def test_an_order_id_cannot_be_computed_from_its_cart_reference(
    services: dict[str, RunningService], admin_token, shopper_token
):
    product = await create_product(services["cart"], admin_token)
    ref = f"victim-{uuid4().hex[:6]}"  # the attacker knows it; nothing else
    guest = {"name": "Victim V", "email": "victim@example.com"}
    checkout = {"customer": guest, "billing_address": ADDRESS, "shipping_address": ADDRESS}
    async with client(services["cart"], shopper_token) as victim:
        added = await victim.post(
            f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product["id"], "quantity": 1}}
        )
        assert added.status_code == 201, added.text
        placed = await victim.post(f"/v2/carts/{ref}/checkout", json={"data": checkout})
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["data"]["id"]
        # a retried checkout of the unchanged cart still names the same order
        retried = await victim.post(f"/v2/carts/{ref}/checkout", json={"data": checkout})
    assert assert_ep_error(retried, 409)["meta"] == {"order_id": order_id}

    version = 2  # created by the first item, then that item: the version it was checked out at
    assert order_id not in {computed_from_public_constants(ref, v) for v in range(1, 10)}
    await consumed_everywhere(services, admin_token, order_id)  # the order exists to be read
    attacker_token = await token_over_http(services["cart"].url, admin=False)
    guesses = [computed_from_public_constants(ref, v) for v in range(1, GUESSES + 1)]
    async with (
        client(services["order"], attacker_token) as attacker,
        client(services["order"], admin_token) as admin,
    ):

        async def read() -> None:  # the merchant's own read of the order, unrelated to the attack
            answer = await admin.get(f"/v2/orders/{order_id}")
            assert answer.status_code == 200, answer.text

        async def attack() -> list[httpx.Response]:
            # one after another: a burst sent at once would queue the read behind all of it
            return [await attacker.get(f"/v2/orders/{guess}") for guess in guesses]

        usual = await usual_latency(read)
        answers, during = await latencies_during(attack(), read)
    for answer in answers:
        assert_ep_error(answer, 404)
        assert "victim@example.com" not in answer.text
    assert_stayed_responsive(usual, during)

    # derived with the service's own key, which is not the published development one
    assert order_id == OrderIds(canaries.ORDER_ID_SECRET.encode()).for_checkout(ref, version)
    assert order_id != OrderIds(DEV_ORDER_ID_SECRET.encode()).for_checkout(ref, version)
