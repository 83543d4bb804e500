"""What the cart service learns from Kafka: products from other catalogues, and stock availability."""

from __future__ import annotations

from services.cart.application.catalogue import import_product
from shared.contracts.envelope import Envelope
from shared.contracts.events import ProductPublished, StockLevelChanged
from shared.eventstore.port import UnitOfWork
from shared.messaging.consumer import EventConsumer

CONSUMER_NAME = "cart"

# Written with the message's inbox row in one statement (`UnitOfWork.write`: one jsonb array of
# arguments), so applying a stock level needs no transaction of its own.
_STOCK_LEVEL = """
INSERT INTO stock_levels (product_id, available, managed, version)
VALUES ($1::jsonb ->> 0, ($1::jsonb ->> 1)::bigint, ($1::jsonb ->> 2)::boolean, ($1::jsonb ->> 3)::integer)
ON CONFLICT (product_id) DO UPDATE
    SET available = EXCLUDED.available, managed = EXCLUDED.managed, version = EXCLUDED.version,
        updated_at = now()
    WHERE stock_levels.version < EXCLUDED.version
"""


async def on_product_published(event: ProductPublished, envelope: Envelope, uow: UnitOfWork) -> None:
    await import_product(uow, event, envelope.producer)


async def on_stock_level_changed(event: StockLevelChanged, envelope: Envelope, uow: UnitOfWork) -> None:
    """Keep the newest availability per product (older or repeated levels change nothing)."""
    await uow.write(_STOCK_LEVEL, event.product_id, event.available, event.managed, event.version)


def build_cart_consumer() -> EventConsumer:
    """A fresh consumer group `cart` (one per runtime, so tests and processes never share one)."""
    consumer = EventConsumer(CONSUMER_NAME)
    consumer.handles(ProductPublished)(on_product_published)
    consumer.handles(StockLevelChanged)(on_stock_level_changed)
    return consumer
