"""Fixtures of the chaos suite: a PostgreSQL of its own (so restarting it hurts no other test)
and the shop's clients. Kafka comes from devstack: `kafka_cluster3` (three brokers, RF 3, min ISR 2)
or the session's single broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest

from checkout_platform.storefront.client import Storefront
from checkout_platform.storefront.httpx_transports import RetryingTransport
from devstack.kafka import KafkaCluster
from devstack.postgres import DURABLE_SETTINGS, PostgresServer
from tests.cart.conftest import create_product
from tests.chaos.platform import Platform
from tests.chaos.workload import Shop


@pytest.fixture(scope="module")
async def chaos_postgres(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PostgresServer]:
    """Commits survive a kill (DURABLE_SETTINGS): a lost commit would look like a lost event."""
    server = PostgresServer(Path(tmp_path_factory.mktemp("chaos-pg")), settings=DURABLE_SETTINGS)
    try:
        await server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="module")
async def platform(
    request: pytest.FixtureRequest,
    chaos_postgres: PostgresServer,
    kafka_cluster3: KafkaCluster,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Platform]:
    """The five services as processes on the module's PostgreSQL and three-broker cluster."""
    work = Path(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    platform = Platform(chaos_postgres, kafka_cluster3.bootstrap_servers, work)
    try:
        await platform.start()
        yield platform
    finally:
        platform.stop()


async def open_shop(platform: Platform) -> Shop:
    """The payment's storefronts wait 120 s for an answer: a payment waits for the stock's allocation."""
    admin, shopper = await platform.tokens()

    def storefront(service: str, bearer: str, timeout: float = 60.0) -> Storefront[RetryingTransport]:
        return Storefront(RetryingTransport(platform.url(service), bearer, timeout=timeout))

    return Shop(
        cart=storefront("cart", shopper),
        pay=storefront("payment", shopper, timeout=120),
        cart_admin=storefront("cart", admin),
        pay_admin=storefront("payment", admin, timeout=120),
        order_admin=storefront("order", admin),
        stock_admin=storefront("inventory", admin),
    )


async def stocked_products(shop: Shop, count: int, quantity: int) -> dict[str, int]:
    """`count` stock-managed products with `quantity` units each, purchasable from a cart."""
    stock: dict[str, int] = {}
    for _ in range(count):
        product = await create_product(shop.cart_admin.transport.client, amount=1500, manage_stock=True)
        await shop.stock_admin.set_stock(product["id"], quantity)
        stock[product["id"]] = quantity
    for product_id in stock:  # availability reaches the cart service through Kafka
        for _ in range(300):
            if (await shop.cart.add_item(uuid4().hex, product_id, expect=None)).status_code == 201:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"product {product_id} never became purchasable")
    return stock
