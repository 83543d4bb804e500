"""A draft product is the admins' business: shoppers neither read nor list it (issue 22, point 7, L1).

`GET /v2/products/{draft}` with a shopper token answered 200 with `"status": "draft"`, and the draft
was listed; adding it to a cart was already refused."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from tests.security.conftest import client
from tests.security.ep_errors import assert_ep_error
from tests.security.responsiveness import assert_stayed_responsive, latencies_during, usual_latency
from tests.security.shoppers import create_product
from tests.support.polling import poll_until

ATTEMPTS = 40
"""Reads of the draft by a shopper while an unrelated read is timed."""


async def _listed_ids(http, limit: int = 100) -> set[str]:
    ids: set[str] = set()
    offset = 0
    while True:
        page = await http.get(f"/v2/products?page[limit]={limit}&page[offset]={offset}")
        assert page.status_code == 200, page.text
        ids |= {p["id"] for p in page.json()["data"]}
        offset += limit
        if offset >= page.json()["meta"]["results"]["total"]:
            return ids


async def test_shoppers_do_not_see_draft_products(services, admin_token, shopper_token):
    sku = f"draft-{uuid4().hex[:8]}"
    definition: dict[str, Any] = {
        "type": "product",
        "name": f"Unannounced {sku}",
        "sku": sku,
        "status": "draft",
        "manage_stock": False,
        "price": [{"amount": 999, "currency": "USD", "includes_tax": False}],
    }
    async with client(services["cart"], admin_token) as admin:
        created = await admin.post("/v2/products", json={"data": definition})
        assert created.status_code == 201, created.text
        draft = created.json()["data"]["id"]
        assert (await admin.get(f"/v2/products/{draft}")).json()["data"]["status"] == "draft"
        # The listing is a projection: wait until the admin sees the draft listed, then ask as a shopper.
        assert draft in await poll_until(lambda: _listed_ids(admin), lambda ids: draft in ids)

    live = await create_product(services["cart"], admin_token)
    async with (
        client(services["cart"], shopper_token) as shopper,
        client(services["cart"], shopper_token) as reader,
    ):

        async def read() -> None:  # another, live product: unrelated to the attack
            answer = await reader.get(f"/v2/products/{live['id']}")
            assert answer.status_code == 200, answer.text

        async def attack() -> list[Any]:
            return [await shopper.get(f"/v2/products/{draft}") for _ in range(ATTEMPTS)]

        usual = await usual_latency(read)
        refused, during = await latencies_during(attack(), read)
        for answer in refused:
            assert_ep_error(answer, 404)
            assert sku not in answer.text
        assert_stayed_responsive(usual, during)
        assert draft not in await _listed_ids(shopper)

    async with client(services["cart"], admin_token) as admin:
        published = await admin.put(f"/v2/products/{draft}", json={"data": {**definition, "status": "live"}})
        assert published.status_code == 200, published.text
        assert draft in await poll_until(lambda: _listed_ids(admin), lambda ids: draft in ids)
    async with client(services["cart"], shopper_token) as shopper:  # once live, shoppers see it
        assert (await shopper.get(f"/v2/products/{draft}")).status_code == 200
        assert draft in await poll_until(lambda: _listed_ids(shopper), lambda ids: draft in ids)
