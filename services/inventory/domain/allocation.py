"""An order's allocation: what inventory holds for it, across its life.

  (none) --allocate--> allocated --release--> released --allocate--> allocated ...
                            \\--ship--> shipped
  any state but shipped --void (order cancelled)--> voided: never allocates again

A repeated request (same request id) answers as before; a request while allocated answers
"allocated" without allocating twice; a cancellation that arrives before its allocation voids
the order first, so the late allocation request is refused and nothing stays allocated.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from services.inventory.domain.events import (
    INVENTORY_EVENTS,
    OrderPaid,
    OrderStockAllocated,
    OrderStockRefused,
    OrderStockReleased,
    OrderStockShipped,
    OrderVoided,
)
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.contracts.values import StockLine
from shared.domain.aggregate import Aggregate


class OrderAllocation(Aggregate):
    stream_type = "allocation"
    registry: ClassVar[EventRegistry] = INVENTORY_EVENTS

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.lines: list[StockLine] = []  # what is allocated now
        self.state = "none"  # none | allocated | released | shipped | voided
        self.answers: dict[str, bool] = {}  # request id -> allocated?
        self.allocated_at: datetime | None = None
        self.paid = False

    @property
    def holds_stock(self) -> bool:
        return self.state == "allocated"

    def allocated(self, request_id: str, lines: list[StockLine], at: datetime) -> None:
        self._record(OrderStockAllocated(request_id=request_id, lines=lines, at=at))

    def refused(self, request_id: str, reason: str, short: list[StockLine], at: datetime) -> None:
        self._record(OrderStockRefused(request_id=request_id, reason=reason, short=short, at=at))

    def released(self, reason: str, at: datetime) -> list[StockLine]:
        lines = list(self.lines)
        self._record(OrderStockReleased(lines=lines, reason=reason, at=at))
        return lines

    def voided(self, reason: str, at: datetime) -> None:
        self._record(OrderVoided(reason=reason, at=at))

    def shipped(self, at: datetime) -> list[StockLine]:
        lines = list(self.lines)
        self._record(OrderStockShipped(lines=lines, at=at))
        return lines

    def mark_paid(self, at: datetime) -> None:
        if not self.paid:
            self._record(OrderPaid(at=at))

    def apply(self, event: VersionedEvent) -> None:
        match event:
            case OrderStockAllocated(request_id=request_id, lines=lines, at=at):
                self.state, self.lines, self.allocated_at = "allocated", list(lines), at
                self.answers[request_id] = True
            case OrderStockRefused(request_id=request_id):
                self.answers[request_id] = False
            case OrderStockReleased():
                self.state, self.lines = "released", []
            case OrderVoided():
                self.state, self.lines = "voided", []
            case OrderStockShipped():
                self.state, self.lines = "shipped", []
            case OrderPaid():
                self.paid = True
