"""A bulk add reports each refused item in EP's words, and nothing else (issue 22, point 7, L5).

The partial-failure path put `str(exc)` of any exception into `errors`: internal messages reached
the client, and a bug answered as if an item were merely refused. Only a rule's refusal (a domain
error: its status, title, detail and meta) is reported per item now; anything else is a 500."""

from __future__ import annotations

from uuid import uuid4

from tests.security.conftest import client
from tests.security.ep_errors import ep_error_problems
from tests.security.shoppers import create_product


async def test_a_refused_item_of_a_bulk_add_is_described_by_its_rule(services, admin_token, shopper_token):
    product = await create_product(services["cart"], admin_token)
    missing = str(uuid4())
    ref = uuid4().hex
    async with client(services["cart"], shopper_token) as http:
        added = await http.post(
            f"/v2/carts/{ref}/items",
            json={
                "data": [
                    {"type": "cart_item", "id": product["id"], "quantity": 1},
                    {"type": "cart_item", "id": missing, "quantity": 1},
                ]
            },
        )
    assert added.status_code == 201, added.text
    body = added.json()
    assert [item["product_id"] for item in body["data"]] == [product["id"]]
    assert ep_error_problems(404, {"errors": body["errors"]}) == []
    [refused] = body["errors"]
    assert set(refused) <= {"status", "title", "detail", "source", "meta"}
    assert refused["status"] == 404 and refused["meta"]["id"] == missing, refused
