"""What earlier versions of the fulfilment service recorded, for tests that those streams still read."""

from __future__ import annotations

from datetime import UTC, datetime

from services.fulfillment.domain.events import ShipmentOpened
from services.fulfillment.domain.shipment import Shipment
from shared.eventstore.port import UnitOfWork

OPENED_AT = datetime(2026, 12, 2, tzinfo=UTC)


async def opened_by_an_earlier_version(uow: UnitOfWork, order_id: str) -> None:
    """The shipment's stream as versions that opened it at the order's creation began it."""
    shipment = await uow.load(Shipment, order_id)
    shipment._record(ShipmentOpened(at=OPENED_AT))
