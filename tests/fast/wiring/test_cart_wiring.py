"""The cart service's consumer as `build_cart_consumer()` wires it, on FastStream's test broker and
the in-memory database (with the cart's tables in memory): a product from another catalogue joins
the cart's catalogue and the cart's own announcements are not imported again, inventory's newest
stock level is kept, and every topic it reads dead-letters what it cannot trust or decode."""

from __future__ import annotations

import pytest

from services.cart.adapters.consumers import build_cart_consumer
from services.cart.domain.product import Product
from shared.contracts.events import ProductPublished, StockLevelChanged
from tests.fast.cart_builders import Cart, cart_database
from tests.fast.memory import published
from tests.fast.wiring.subscribed import assert_dead_lettered_as_undecodable, subscribed

CONSUMED = ["ProductPublished", "StockLevelChanged"]
FROM_THE_ERP = ProductPublished(product_id="p-erp", sku="erp-1", name="From the ERP", manage_stock=True)


@pytest.fixture
def shop() -> Cart:
    return cart_database()


async def test_a_product_from_another_catalogue_joins_the_cart_s(shop: Cart) -> None:
    async with subscribed(build_cart_consumer(), shop.database) as kafka:
        await kafka.publish(FROM_THE_ERP, key="p-erp", producer="erp")
    assert shop.tables.product_skus == {"erp-1": "p-erp"}
    product = await shop.database.read(Product, "p-erp")
    assert product.definition is not None and product.definition.source == "erp"
    assert published(shop.database) == [] and kafka.dead_letters.messages == []


async def test_the_cart_s_own_announcement_is_not_imported_again(shop: Cart) -> None:
    consumer = build_cart_consumer()
    async with subscribed(consumer, shop.database) as kafka:
        await kafka.publish(FROM_THE_ERP, key="p-erp", producer="cart")
    assert consumer.applied == 1 and shop.tables.product_skus == {}
    assert not (await shop.database.read(Product, "p-erp")).exists


@pytest.mark.parametrize("event_type", CONSUMED)
async def test_an_undecodable_message_on_each_topic_it_reads_is_dead_lettered(
    shop: Cart, event_type: str
) -> None:
    await assert_dead_lettered_as_undecodable(build_cart_consumer(), shop.database, event_type, b"")


async def test_inventory_s_newest_stock_level_is_kept_and_a_late_one_ignored(shop: Cart) -> None:
    newer = StockLevelChanged(product_id="p-hat", total=9, allocated=2, available=7, version=3)
    older = StockLevelChanged(product_id="p-hat", total=9, allocated=0, available=9, version=2)
    async with subscribed(build_cart_consumer(), shop.database) as kafka:
        await kafka.publish(newer, key="p-hat", producer="inventory")
        await kafka.publish(older, key="p-hat", producer="inventory")
    assert shop.tables.stock_levels == {"p-hat": (7, True)}
    assert kafka.dead_letters.messages == []


async def test_a_stock_level_not_from_inventory_is_refused(shop: Cart) -> None:
    level = StockLevelChanged(product_id="p-erp", total=0, allocated=0, available=0, version=9)
    async with subscribed(build_cart_consumer(), shop.database) as kafka:
        await kafka.publish(level, key="p-erp", producer="erp")
    assert kafka.reasons() == [
        "refused: producer 'erp' does not own topic StockLevelChanged: only 'inventory' publishes it"
    ]
