"""Bad input of every kind gets an Elastic-Path-style 4xx, never a 500, and changes nothing."""

from __future__ import annotations

from uuid import uuid4

import pytest

from tests.cart.conftest import create_product, new_cart


def assert_ep_error(response, status: int | None = None) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    if status is not None:
        assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert errors and all(isinstance(e["status"], int) and e["title"] for e in errors)


@pytest.fixture(scope="module")
async def product(admin):
    return await create_product(admin)


BAD_ITEM_BODIES = [
    {"data": {"type": "cart_item", "id": "PRODUCT", "quantity": "two"}},
    {"data": {"type": "cart_item", "id": "PRODUCT", "quantity": 1.5}},
    {"data": {"type": "cart_item", "id": "PRODUCT", "quantity": -1}},
    {"data": {"type": "cart_item", "id": "PRODUCT", "quantity": 0}},
    {"data": {"type": "cart_item", "id": "PRODUCT", "quantity": 10**12}},
    {"data": {"type": "cart_item", "id": "PRODUCT"}},
    {"data": {"type": "cart_item", "quantity": 1}},
    {"data": {"type": "cart_item", "id": "00000000-0000-0000-0000-000000000000", "quantity": 1}},
    {"data": {"type": "cart_item", "sku": "no-such-sku", "quantity": 1}},
    {"data": {"type": "wat", "id": "PRODUCT", "quantity": 1}},
    {"data": {"id": "PRODUCT", "quantity": 1}},
    {"data": "PRODUCT"},
    {"data": []},
    {"data": None},
    {"nodata": {}},
    [],
    "string",
    {"data": {"type": "custom_item", "name": "x", "quantity": 1, "price": {"amount": "5"}}},
    {"data": {"type": "custom_item", "name": "", "quantity": 1, "price": {"amount": 5}}},
    {"data": {"type": "promotion_item"}},
]


@pytest.mark.parametrize("body", BAD_ITEM_BODIES)
async def test_bad_item_bodies_are_refused_and_change_nothing(shopper, product, body):
    ref = new_cart()
    payload = _substitute(body, product["id"])
    response = await shopper.post(f"/v2/carts/{ref}/items", json=payload)
    assert_ep_error(response)
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
    "raw", [b"{not json", b"", b"null", b'{"data": {"type": "cart_item", "id": ', b"\xff\xfe"]
)
async def test_malformed_json_is_a_400(shopper, raw):
    response = await shopper.post(
        f"/v2/carts/{new_cart()}/items", content=raw, headers={"Content-Type": "application/json"}
    )
    assert_ep_error(response, 400)


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
    "path,method",
    [
        ("/v2/carts/bad%20ref/items", "get"),
        ("/v2/carts/{ref}/items/nope", "delete"),
        ("/v2/nowhere", "get"),
    ],
)
async def test_unknown_things_are_ep_errors(shopper, path, method):
    response = await getattr(shopper, method)(path.format(ref=new_cart()))
    assert_ep_error(response)


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
