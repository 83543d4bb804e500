"""`GET /v2/inventories` (every managed product's stock, a page at a time) and
`DELETE /v2/inventories/{id}` (stop managing a product's stock) through a started inventory
service: status, Elastic Path's shape (its published OpenAPI document) and the effect on later
reads. The list is a read model, so a list that must change is read until it has."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from tests.security.ep_errors import assert_ep_error
from tests.support.kafka import wait_for_envelope
from tests.support.openapi import validate_response
from tests.support.polling import poll_until

SPEC = "inventory.yaml"


async def listed(client: httpx.AsyncClient, query: str = "") -> dict[str, Any]:
    response = await client.get(f"/v2/inventories{query}")
    assert response.status_code == 200, response.text
    validate_response(SPEC, "/inventories", "get", "200", response.json())
    page: dict[str, Any] = response.json()
    return page


def levels(page: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {s["id"]: (s["total"], s["allocated"], s["available"]) for s in page["data"]}


async def create_stock(admin: httpx.AsyncClient, quantity: int) -> str:
    product = str(uuid4())
    created = await admin.post(f"/v2/inventories/{product}", json={"data": {"quantity": quantity}})
    assert created.status_code == 201, created.text
    validate_response(SPEC, "/inventories/{product_uuid}", "post", "201", created.json())
    return product


async def test_the_stock_list_pages_through_every_managed_product(on_payment):
    admin, shopper = on_payment
    products = [await create_stock(admin, quantity) for quantity in (3, 5, 8)]
    expected = {p: (q, 0, q) for p, q in zip(products, (3, 5, 8), strict=True)}

    everything = await poll_until(
        lambda: listed(shopper), lambda page: expected.items() <= levels(page).items()
    )
    assert expected.items() <= levels(everything).items()  # shoppers read it too
    assert everything["data"][0]["type"] == "stock"
    count = everything["meta"]["results"]["total"]
    assert count == len(everything["data"]) >= 3

    first = await listed(admin, "?page[limit]=2")
    second = await listed(admin, "?page[limit]=2&page[offset]=2")
    assert (len(first["data"]), first["meta"]["page"]["total"]) == (2, -(-count // 2))
    assert "page[offset]=2" in first["links"]["next"]
    paged = [s["id"] for s in first["data"] + second["data"]]
    assert paged == [s["id"] for s in everything["data"]][:4] and len(set(paged)) == len(paged)


async def test_deleting_stock_stops_managing_it(on_payment, kafka_bootstrap_servers, prefix):
    admin, shopper = on_payment
    product = await create_stock(admin, 10)
    allocated = await admin.post(
        f"/v2/inventories/{product}/transactions",
        json={"data": {"type": "stock-transaction", "action": "allocate", "quantity": 4}},
    )
    assert allocated.status_code == 200, allocated.text

    held = await admin.delete(f"/v2/inventories/{product}")  # orders hold part of it
    assert_ep_error(held, 422)
    assert (await admin.get(f"/v2/inventories/{product}")).json()["data"]["allocated"] == 4
    assert (await shopper.delete(f"/v2/inventories/{product}")).status_code in (401, 403)

    await admin.post(
        f"/v2/inventories/{product}/transactions",
        json={"data": {"type": "stock-transaction", "action": "deallocate", "quantity": 4}},
    )
    deleted = await admin.delete(f"/v2/inventories/{product}")
    assert (deleted.status_code, deleted.content) == (204, b"")

    assert_ep_error(await shopper.get(f"/v2/inventories/{product}"), 404)
    assert_ep_error(await admin.get(f"/v2/inventories/{product}/transactions"), 404)
    unmanaged = await wait_for_envelope(
        kafka_bootstrap_servers,
        f"{prefix}StockLevelChanged",
        lambda e: e.data["product_id"] == product and not e.data["managed"],
    )
    assert unmanaged.data["managed"] is False  # the cart stops limiting its sales
    page = await poll_until(lambda: listed(admin), lambda page: product not in levels(page))
    assert product not in levels(page)
    assert_ep_error(await admin.delete(f"/v2/inventories/{product}"), 404)  # nothing left to delete

    again = await admin.post(f"/v2/inventories/{product}", json={"data": {"quantity": 2}})
    assert again.status_code == 201 and again.json()["data"]["total"] == 2  # managed again, afresh
