"""Availability from inventory: the cart keeps the newest level per product, which checks what a cart
may hold (`lookups.Shelf`) without asking inventory on every request."""

from __future__ import annotations

from services.cart.application.ports import STOCK_LEVELS
from shared.contracts.events import StockLevelChanged
from shared.eventstore.port import UnitOfWork


async def record_stock_level(uow: UnitOfWork, event: StockLevelChanged) -> None:
    """Older or repeated levels change nothing (`ports.StockLevels`)."""
    await uow.adapter(STOCK_LEVELS).record(event.product_id, event.available, event.managed, event.version)
