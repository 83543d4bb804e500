"""No promotion setting is silently ignored: Elastic Path settings this service does not apply (and
members it does not know) are refused with a 400 naming them, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cart.conftest import create_promotion, new_cart
from tests.security.ep_errors import assert_ep_error
from tests.support.openapi import validate_schema

VALID: dict[str, Any] = {
    "type": "promotion",
    "description": "refused",
    "enabled": True,
    "automatic": False,
    "promotion_type": "fixed_discount",
    "schema": {"currencies": [{"currency": "USD", "amount": 100}]},
    "start": "2020-01-01T00:00:00Z",
    "end": "2099-01-01T00:00:00Z",
}


@pytest.mark.parametrize(
    ("change", "source"),
    [
        ({"max_applications_per_cart": 2}, "data.max_applications_per_cart"),
        (
            {"schema": {"currencies": VALID["schema"]["currencies"], "exclude": {"targets": ["x"]}}},
            "data.schema.exclude",
        ),
        (
            {"schema": {"currencies": VALID["schema"]["currencies"], "target_catalogs": ["c"]}},
            "data.schema.target_catalogs",
        ),
        (
            {"schema": {"currencies": [{"currency": "USD", "amount": 100, "percentage": 5}]}},
            "data.schema.currencies.0.percentage",
        ),
        ({"min_cart_value": [{"currency": "USD"}]}, "data.min_cart_value.0.amount"),
        (
            {"max_discount_value": [{"currency": "USD", "amount": 5, "includes_tax": True}]},
            "data.max_discount_value.0.includes_tax",
        ),
        ({"auto_add_free_gift": True}, "data.auto_add_free_gift"),
    ],
)
async def test_a_setting_not_applied_is_refused_and_nothing_is_stored(admin, change, source):
    name = f"Refused {new_cart()[:8]}"
    response = await admin.post("/v2/promotions", json={"data": {**VALID, "name": name, **change}})
    error = assert_ep_error(response, 400)
    assert error["source"] == source, error
    validate_schema("promotions.yaml", "Response.Error", response.json())
    listed = await admin.get("/v2/promotions", params={"page[limit]": 100})
    assert listed.status_code == 200 and name not in [p["name"] for p in listed.json()["data"]]


async def test_a_per_item_code_is_refused_and_a_per_cart_one_is_kept(admin):
    promotion = await create_promotion(admin, code=None)
    codes = f"/v2/promotions/{promotion['id']}/codes"
    per_item = {
        "data": {"type": "promotion_codes", "codes": [{"code": "ITEMWISE", "consume_unit": "per_item"}]}
    }
    error = assert_ep_error(await admin.post(codes, json=per_item), 400)
    assert error["source"] == "data.codes.0.consume_unit", error
    per_cart = {
        "data": {"type": "promotion_codes", "codes": [{"code": "CARTWISE", "consume_unit": "per_cart"}]}
    }
    assert (await admin.post(codes, json=per_cart)).status_code == 201
    assert [c["code"] for c in (await admin.get(codes)).json()["data"]] == ["CARTWISE"]
