"""A real cart service process per test module, with admin and shopper clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from checkout_platform.storefront.sample import ADDRESS as ADDRESS  # re-exported: the tests check out with it
from tests.support.clients import client_of
from tests.support.own_database import start_on_own_database
from tests.support.services import RunningService


@pytest.fixture(scope="module")
def topic_prefix() -> str:
    return f"cart{uuid4().hex[:8]}."


@pytest.fixture(scope="module")
async def cart_service(
    postgres,
    kafka_bootstrap_servers: str,
    topic_prefix: str,
    service_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[RunningService]:
    service = await start_on_own_database(
        "services.cart",
        postgres,
        kafka_bootstrap_servers,
        topic_prefix,
        Path(tmp_path_factory.mktemp("cart")),
        **service_env,
    )
    yield service
    service.stop()


@pytest.fixture(scope="module")
async def admin(cart_service: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(cart_service.url, admin=True) as client:
        yield client


@pytest.fixture(scope="module")
async def shopper(cart_service: RunningService) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(cart_service.url, admin=False) as client:
        yield client


async def create_product(
    admin: httpx.AsyncClient,
    *,
    amount: int = 5000,
    manage_stock: bool = False,
    currency: str = "USD",
    also_priced_in: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A live product priced `amount` in `currency`, and in each currency of `also_priced_in`."""
    sku = f"sku-{uuid4().hex[:8]}"
    prices = {currency: amount, **(also_priced_in or {})}
    response = await admin.post(
        "/v2/products",
        json={
            "data": {
                "type": "product",
                "name": f"Product {sku}",
                "sku": sku,
                "manage_stock": manage_stock,
                "price": [{"amount": a, "currency": c, "includes_tax": False} for c, a in prices.items()],
            }
        },
    )
    assert response.status_code == 201, response.text
    product: dict[str, Any] = response.json()["data"]
    return product


async def create_promotion(
    admin: httpx.AsyncClient,
    *,
    code: str | None,
    amount: int = 1000,
    uses: int | None = None,
    kind: str = "fixed_discount",
    start: str = "2020-01-01T00:00:00Z",
    end: str = "2099-01-01T00:00:00Z",
    enabled: bool = True,
    minimum: int = 0,
    automatic: bool = False,
    currency: str = "USD",
) -> dict[str, Any]:
    """A promotion in `currency`, with `code` (None: no code, e.g. for an automatic one)."""
    entry: dict[str, Any] = (
        {"currency": currency, "amount": amount}
        if kind == "fixed_discount"
        else {"currency": currency, "percentage": amount}
    )
    response = await admin.post(
        "/v2/promotions",
        json={
            "data": {
                "type": "promotion",
                "name": f"Promo {code}",
                "description": "test",
                "enabled": enabled,
                "automatic": automatic,
                "promotion_type": kind,
                "schema": {"currencies": [entry]},
                "start": start,
                "end": end,
                "min_cart_value": [{"currency": currency, "amount": minimum}] if minimum else [],
            }
        },
    )
    assert response.status_code == 201, response.text
    promotion: dict[str, Any] = response.json()["data"]
    if code is None:
        return promotion
    codes: dict[str, Any] = {"code": code}
    if uses is not None:
        codes["uses"] = uses
    response = await admin.post(
        f"/v2/promotions/{promotion['id']}/codes",
        json={"data": {"type": "promotion_codes", "codes": [codes]}},
    )
    assert response.status_code == 201, response.text
    return promotion


async def add_product(
    shopper: httpx.AsyncClient, ref: str, product_id: str, quantity: int = 1
) -> httpx.Response:
    """Put `quantity` of a catalogue product in cart `ref`; the service's answer, for the test to judge."""
    return await shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "cart_item", "id": product_id, "quantity": quantity}}
    )


async def apply_code(shopper: httpx.AsyncClient, ref: str, code: str) -> httpx.Response:
    """Apply a promotion code to cart `ref`; the service's answer, for the test to judge."""
    return await shopper.post(
        f"/v2/carts/{ref}/items", json={"data": {"type": "promotion_item", "code": code}}
    )


def new_cart() -> str:
    return uuid4().hex
