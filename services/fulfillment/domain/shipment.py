"""A shipment per order whose fulfilment was requested: dispatched once when flagged fulfilled, and
told where to ship whenever an admin corrects the order's shipping address before that. Its stream
starts with the first of those facts (earlier versions opened it at the order's creation,
`ShipmentOpened`, which is still read).

Tolerant of order: repeated requests ship once. Address corrections apply by
the order's version, so the newest wins whatever order they arrive in; one arriving after the
dispatch is older than the dispatch's own address (the order refuses corrections once fulfilment is
requested) and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from services.fulfillment.domain.events import (
    FULFILLMENT_EVENTS,
    ShipmentAddressCorrected,
    ShipmentDispatched,
    ShipmentOpened,
)
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
        self.shipping_address: Address | None = None  # where it goes, once known
        self.address_version = 0  # the order version the address is from (0: the dispatch's, or none)

    @property
    def status(self) -> str:
        return "fulfilled" if self.dispatched_at is not None else "unfulfilled"

    def correct_address(self, shipping_address: Address, order_version: int, at: datetime) -> bool:
        """True if this correction is news: not shipped yet, and newer than the last one."""
        if self.dispatched_at is not None or order_version <= self.address_version:
            return False
        self._record(
            ShipmentAddressCorrected(shipping_address=shipping_address, order_version=order_version, at=at)
        )
        return True

    def dispatch(
        self,
        shipping_address: Address,
        lines: list[StockLine],
        at: datetime,
        carrier: str | None = None,
        tracking_reference: str | None = None,
    ) -> bool:
        """True the first time: the caller announces `OrderShipped` exactly then."""
        if self.dispatched_at is not None:
            return False
        self._record(
            ShipmentDispatched(
                shipping_address=shipping_address,
                lines=lines,
                carrier=carrier,
                tracking_reference=tracking_reference,
                at=at,
            )
        )
        return True

    def apply(self, event: VersionedEvent) -> None:
        match event:
            case ShipmentOpened(at=at):
                self.opened_at = at
            case ShipmentAddressCorrected(shipping_address=address, order_version=version):
                self.shipping_address, self.address_version = address, version
            case ShipmentDispatched(at=at, lines=lines, shipping_address=address):
                self.dispatched_at = at
                self.lines = list(lines)
                self.shipping_address = address
