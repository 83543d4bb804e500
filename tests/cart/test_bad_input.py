"""Bad input of every kind gets an Elastic-Path-style 4xx, never a 500, and changes nothing: each
body its own status, title and source, as Elastic Path answers it (ep-api.md section 3)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from tests.cart.conftest import create_product, new_cart
from tests.security.ep_errors import assert_ep_error as ep_error


def assert_ep_error(
    response, status: int, title: str | None = None, source: str | None = None
) -> dict[str, Any]:
    """`response` answers exactly `status` with Elastic Path's error document (checked by
    `tests.security.ep_errors`); with `title`, the first error's title and source (None: none).
    Returns the first error."""
    first = ep_error(response, status)
    if title is not None:
        assert (first["title"], first.get("source")) == (title, source), first
    return first


@pytest.fixture(scope="module")
async def product(admin):
    return await create_product(admin)


BAD_ITEM_BODIES: list[tuple[Any, int, str, str | None]] = [  # body, status, title, source
    ({"data": {"type": "cart_item", "id": "PRODUCT", "quantity": "two"}}, 400, "type", "data.quantity"),
    ({"data": {"type": "cart_item", "id": "PRODUCT", "quantity": 1.5}}, 400, "type", "data.quantity"),
    ({"data": {"type": "cart_item", "id": "PRODUCT", "quantity": -1}}, 400, "minimum", "data.quantity"),
    ({"data": {"type": "cart_item", "id": "PRODUCT", "quantity": 0}}, 400, "minimum", "data.quantity"),
    ({"data": {"type": "cart_item", "id": "PRODUCT", "quantity": 10**12}}, 400, "maximum", "data.quantity"),
    ({"data": {"type": "cart_item", "id": "PRODUCT"}}, 400, "required", "data.quantity"),
    ({"data": {"type": "cart_item", "quantity": 1}}, 400, "required", "data.id"),
    (
        {"data": {"type": "cart_item", "id": "00000000-0000-0000-0000-000000000000", "quantity": 1}},
        404,
        "Not Found",
        None,
    ),
    ({"data": {"type": "cart_item", "sku": "no-such-sku", "quantity": 1}}, 404, "Not Found", None),
    ({"data": {"type": "wat", "id": "PRODUCT", "quantity": 1}}, 400, "enum", "data.type"),
    ({"data": {"id": "PRODUCT", "quantity": 1}}, 400, "enum", "data.type"),
    ({"data": "PRODUCT"}, 400, "type", "data"),
    ({"data": []}, 400, "type", "data"),
    ({"data": None}, 400, "type", "data"),
    ({"nodata": {}}, 400, "required", "data"),
    ([], 400, "required", "data"),
    ("string", 400, "required", "data"),
    (
        {"data": {"type": "custom_item", "name": "x", "quantity": 1, "price": {"amount": "5"}}},
        400,
        "type",
        "data.price.amount",
    ),
    (
        {"data": {"type": "custom_item", "name": "", "quantity": 1, "price": {"amount": 5}}},
        400,
        "minLength",
        "data.name",
    ),
    (  # a negative price would make an order whose total is below 0, which nobody can pay
        {"data": {"type": "custom_item", "name": "x", "quantity": 1, "price": {"amount": -4900}}},
        400,
        "minimum",
        "data.price.amount",
    ),
    ({"data": {"type": "promotion_item"}}, 400, "required", "data.code"),
]


@pytest.mark.parametrize(("body", "status", "title", "source"), BAD_ITEM_BODIES)
async def test_bad_item_bodies_are_refused_and_change_nothing(shopper, product, body, status, title, source):
    ref = new_cart()
    payload = _substitute(body, product["id"])
    response = await shopper.post(f"/v2/carts/{ref}/items", json=payload)
    error = assert_ep_error(response, status, title, source)
    if status == 404:  # the product asked for, by id or sku, named back
        assert error["detail"] == "The requested product could not be found"
        assert error["meta"]["id"] == (payload["data"].get("id") or payload["data"]["sku"])
    assert (await shopper.get(f"/v2/carts/{ref}/items")).json()["data"] == []
    assert (await shopper.get(f"/v2/carts/{ref}")).json()["data"]["meta"]["timestamps"]["created_at"] is None


def _substitute(value, product_id):
    if value == "PRODUCT":
        return product_id
    if isinstance(value, dict):
        return {k: _substitute(v, product_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, product_id) for v in value]
    return value


@pytest.mark.parametrize(
    ("raw", "title", "source"),
    [
        (b"{not json", "Bad Request", None),
        (b"", "required", "data"),  # no body at all: no data member
        (b"null", "required", "data"),
        (b'{"data": {"type": "cart_item", "id": ', "Bad Request", None),
        (b"\xff\xfe", "Bad Request", None),
    ],
)
async def test_malformed_json_is_a_400(shopper, raw, title, source):
    response = await shopper.post(
        f"/v2/carts/{new_cart()}/items", content=raw, headers={"Content-Type": "application/json"}
    )
    error = assert_ep_error(response, 400, title, source)
    if title == "Bad Request":
        assert error["detail"] == "Malformed JSON"


async def test_a_bulk_add_with_one_bad_item_and_all_or_nothing_adds_nothing(shopper, product):
    ref = new_cart()
    response = await shopper.post(
        f"/v2/carts/{ref}/items",
        json={
            "data": [
                {"type": "cart_item", "id": product["id"], "quantity": 1},
                {"type": "cart_item", "id": "00000000-0000-0000-0000-000000000000", "quantity": 1},
            ],
            "options": {"add_all_or_nothing": True},
        },
    )
    assert_ep_error(response, 404)
    assert (await shopper.get(f"/v2/carts/{ref}/items")).json()["data"] == []


async def test_the_sdks_double_wrapped_bulk_add_is_accepted(shopper, product):
    ref = new_cart()
    response = await shopper.post(
        f"/v2/carts/{ref}/items",
        json={"data": {"data": [{"type": "cart_item", "id": product["id"], "quantity": 2}]}},
    )
    assert response.status_code == 201 and response.json()["data"][0]["quantity"] == 2


@pytest.mark.parametrize(
    ("path", "method", "status", "title", "source"),
    [
        ("/v2/carts/bad%20ref/items", "get", 400, "Bad Request", "reference"),
        ("/v2/carts/{ref}/items/nope", "delete", 404, "Not Found", None),
        ("/v2/nowhere", "get", 404, "Not Found", None),
    ],
)
async def test_unknown_things_are_ep_errors(shopper, path, method, status, title, source):
    response = await getattr(shopper, method)(path.format(ref=new_cart()))
    assert_ep_error(response, status, title, source)


async def test_no_token_or_a_bad_token_is_a_401_and_a_shopper_cannot_write_products(cart_service, shopper):
    import httpx

    async with httpx.AsyncClient(base_url=cart_service.url) as anonymous:
        assert_ep_error(await anonymous.get(f"/v2/carts/{new_cart()}"), 401)
        response = await anonymous.get(f"/v2/carts/{new_cart()}", headers={"Authorization": "Bearer x.y.z"})
        assert_ep_error(response, 401)
    forbidden = await shopper.post(
        "/v2/products", json={"data": {"type": "product", "name": "x", "sku": "x"}}
    )
    assert_ep_error(forbidden, 403)
    assert_ep_error(await shopper.post("/v2/promotions", json={"data": {}}), 403)


async def test_bad_product_and_promotion_bodies(admin):
    assert_ep_error(await admin.post("/v2/products", json={"data": {"type": "product", "name": "x"}}), 400)
    bad_price = {
        "data": {"type": "product", "name": "x", "sku": "x1", "price": [{"amount": 1.5, "currency": "USD"}]}
    }
    assert_ep_error(await admin.post("/v2/products", json=bad_price), 400)
    assert_ep_error(
        await admin.post("/v2/promotions", json={"data": {"type": "promotion", "name": "p"}}), 400
    )


async def test_text_with_a_nul_character_is_refused_not_a_server_error(admin):
    """PostgreSQL cannot store U+0000 (schemathesis found the 500 with a currency holding one)."""
    sku = f"nul-{uuid4().hex[:6]}"
    price = [{"amount": 100, "currency": "B\u00a3\u0000", "includes_tax": True}]
    body = {"data": {"type": "product", "name": "Nul", "sku": sku, "price": price}}
    assert_ep_error(await admin.post("/v2/products", json=body), 400)
    listed = (await admin.get("/v2/products")).json()["data"]
    assert sku not in {p["sku"] for p in listed}
