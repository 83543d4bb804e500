"""What the cart service learns from Kafka: products from other catalogues, and stock availability."""

from __future__ import annotations

from services.cart.application.catalogue import import_product
from services.cart.application.stock_levels import record_stock_level
from shared.contracts.envelope import Envelope
from shared.contracts.events import ProductPublished, StockLevelChanged
from shared.eventstore.port import UnitOfWork
from shared.messaging.consumer import EventConsumer

CONSUMER_NAME = "cart"


async def on_product_published(event: ProductPublished, envelope: Envelope, uow: UnitOfWork) -> None:
    await import_product(uow, event, envelope.producer)


async def on_stock_level_changed(event: StockLevelChanged, envelope: Envelope, uow: UnitOfWork) -> None:
    await record_stock_level(uow, event)


def build_cart_consumer() -> EventConsumer:
    """A fresh consumer group `cart` (one per runtime, so tests and processes never share one)."""
    consumer = EventConsumer(CONSUMER_NAME)
    consumer.handles(ProductPublished)(on_product_published)
    consumer.handles(StockLevelChanged)(on_stock_level_changed)
    return consumer
