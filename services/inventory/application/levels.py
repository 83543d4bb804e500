"""After every stock change, announce the new level: carts check availability from it."""

from __future__ import annotations

from services.inventory.domain.stock import Stock
from shared.contracts import events as contracts
from shared.eventstore.port import UnitOfWork


def announce_level(uow: UnitOfWork, stock: Stock) -> None:
    """`StockLevelChanged`, keyed by product id, `version` = the stock stream's version once saved
    (consumers drop levels older than the one they have)."""
    uow.publish(
        contracts.StockLevelChanged(
            product_id=stock.id,
            total=stock.total,
            allocated=stock.allocated,
            available=stock.available,
            managed=stock.limits_sales,
            version=stock.current_version,
        ),
        key=stock.id,
        aggregate_id=stock.id,
        aggregate_version=stock.current_version,
    )
