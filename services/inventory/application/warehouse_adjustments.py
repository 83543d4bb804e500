"""`WarehouseStockAdjusted` from a WMS/ERP: move the product's stock, or record and announce why not.

Runs in the consumer's unit of work with the inbox row, so the adjustment applies once per
`event_id`. An applied one announces the new level (`StockLevelChanged`) like an admin's
transaction; a refused one is kept on the stock's stream and answered with
`WarehouseStockAdjustmentRefused` for the warehouse to see.
"""

from __future__ import annotations

from services.inventory.application.levels import announce_level
from services.inventory.domain.events import StockAdjustmentRefused
from services.inventory.domain.stock import Stock
from services.inventory.domain.warehouse import adjust
from shared.contracts.envelope import utc_now
from shared.contracts.inbound import WarehouseStockAdjusted, WarehouseStockAdjustmentRefused
from shared.eventstore.port import UnitOfWork


async def apply_adjustment(uow: UnitOfWork, event: WarehouseStockAdjusted, adjustment_id: str) -> None:
    stock = await uow.load(Stock, event.product_id)
    outcome = adjust(stock, event.kind, event.quantity, adjustment_id, utc_now())
    if not isinstance(outcome, StockAdjustmentRefused):
        announce_level(uow, stock)
        return
    uow.publish(
        WarehouseStockAdjustmentRefused(
            product_id=stock.id,
            adjustment_id=adjustment_id,
            kind=event.kind,
            quantity=event.quantity,
            reference=event.reference,
            reason=outcome.reason,
            total=stock.total,
            allocated=stock.allocated,
        ),
        key=stock.id,
        aggregate_id=stock.id,
        aggregate_version=stock.current_version,
    )
