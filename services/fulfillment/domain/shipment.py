"""A shipment per order: opened when the order is created, dispatched once when flagged fulfilled.

Tolerant of order: a dispatch request that arrives before the order's creation still ships it,
and the late creation changes nothing; repeated requests ship once.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from services.fulfillment.domain.events import FULFILLMENT_EVENTS, ShipmentDispatched, ShipmentOpened
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.contracts.values import Address, StockLine
from shared.domain.aggregate import Aggregate


class Shipment(Aggregate):
    stream_type = "shipment"
    registry: ClassVar[EventRegistry] = FULFILLMENT_EVENTS

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.opened_at: datetime | None = None
        self.dispatched_at: datetime | None = None
        self.lines: list[StockLine] = []

    @property
    def status(self) -> str:
        return "fulfilled" if self.dispatched_at is not None else "unfulfilled"

    def open(self, at: datetime) -> bool:
        if self.opened_at is not None or self.dispatched_at is not None:
            return False
        self._record(ShipmentOpened(at=at))
        return True

    def dispatch(self, shipping_address: Address, lines: list[StockLine], at: datetime) -> bool:
        """True the first time: the caller announces `OrderShipped` exactly then."""
        if self.dispatched_at is not None:
            return False
        self._record(ShipmentDispatched(shipping_address=shipping_address, lines=lines, at=at))
        return True

    def apply(self, event: VersionedEvent) -> None:
        match event:
            case ShipmentOpened(at=at):
                self.opened_at = at
            case ShipmentDispatched(at=at, lines=lines):
                self.dispatched_at = at
                self.lines = list(lines)
