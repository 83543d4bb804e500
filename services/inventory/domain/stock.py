"""A product's stock: total, allocated, available (= total - allocated), and its transactions.

Every change is one `StockMovement`, so the history is the stream itself. Concurrent allocations
of one product serialise on this stream's version (optimistic concurrency), which is what makes
overselling impossible: allocated never exceeds total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import uuid4

from services.inventory.domain.errors import InsufficientStock, InvalidQuantity, StockNotFound
from services.inventory.domain.events import (
    INVENTORY_EVENTS,
    StockManagementChanged,
    StockMovement,
    StockUntracked,
)
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.domain.aggregate import Aggregate

MAX_QUANTITY = 1_000_000_000


@dataclass(frozen=True)
class Transaction:
    id: str
    action: str
    quantity: int
    order_id: str | None
    at: datetime


class Stock(Aggregate):
    stream_type = "stock"
    registry: ClassVar[EventRegistry] = INVENTORY_EVENTS

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.total = 0
        self.allocated = 0
        self.tracked = False  # stock was created for it (and not deleted)
        self.managed: bool | None = None  # what the catalogue says; None: never heard
        self.created_at: datetime | None = None
        self.updated_at: datetime | None = None
        self.transactions: list[Transaction] = []

    @property
    def available(self) -> int:
        return self.total - self.allocated

    @property
    def limits_sales(self) -> bool:
        """Whether this product's sales are limited by stock (unmanaged products never are)."""
        return self.managed is not False

    # -- admin ------------------------------------------------------------------------------

    def set_quantity(self, quantity: int, at: datetime) -> Transaction:
        """Create (or reset) stock: total becomes `quantity`, allocations stay."""
        _check(quantity, allow_zero=True)
        if quantity < self.allocated:
            raise InsufficientStock(self.id)
        return self._move("set", quantity, quantity, self.allocated, None, at)

    def stop_tracking(self, at: datetime) -> None:
        self._require_tracked()
        if self.allocated:
            raise InsufficientStock(self.id)  # stock still allocated to orders cannot vanish
        self._record(StockUntracked(at=at))

    def transact(self, action: str, quantity: int, at: datetime, order_id: str | None = None) -> Transaction:
        self._require_tracked()
        _check(quantity)
        total, allocated = self.total, self.allocated
        if action == "increment":
            total += quantity
        elif action == "decrement":
            if quantity > self.available:
                raise InsufficientStock(self.id)
            total -= quantity
        elif action == "allocate":
            if quantity > self.available:
                raise InsufficientStock(self.id)
            allocated += quantity
        elif action == "deallocate":
            if quantity > self.allocated:
                raise InsufficientStock(self.id)
            allocated -= quantity
        elif action == "ship":  # an order's allocated stock leaves: allocated and total go down
            if quantity > self.allocated:
                raise InsufficientStock(self.id)
            total, allocated = total - quantity, allocated - quantity
        else:
            raise InvalidQuantity(f"unknown action {action!r}")
        return self._move(action, quantity, total, allocated, order_id, at)

    def set_managed(self, managed: bool, at: datetime) -> None:
        if managed != self.managed:
            self._record(StockManagementChanged(managed=managed, at=at))

    # -- rules ------------------------------------------------------------------------------

    def _require_tracked(self) -> None:
        if not self.tracked:
            raise StockNotFound(self.id)

    def _move(
        self, action: str, quantity: int, total: int, allocated: int, order_id: str | None, at: datetime
    ) -> Transaction:
        movement = StockMovement(
            transaction_id=str(uuid4()),
            action=action,
            quantity=quantity,
            total_after=total,
            allocated_after=allocated,
            order_id=order_id,
            at=at,
        )
        self._record(movement)
        return self.transactions[-1]

    def apply(self, event: VersionedEvent) -> None:
        match event:
            case StockMovement():
                self.total, self.allocated = event.total_after, event.allocated_after
                self.tracked = True
                self.created_at = self.created_at or event.at
                self.updated_at = event.at
                self.transactions.append(
                    Transaction(event.transaction_id, event.action, event.quantity, event.order_id, event.at)
                )
            case StockUntracked(at=at):
                self.tracked, self.total, self.allocated = False, 0, 0
                self.updated_at = at
            case StockManagementChanged(managed=managed, at=at):
                self.managed = managed
                self.updated_at = at


def _check(quantity: int, *, allow_zero: bool = False) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidQuantity("quantity must be an integer")
    if quantity < (0 if allow_zero else 1) or quantity > MAX_QUANTITY:
        raise InvalidQuantity(f"quantity must be between {0 if allow_zero else 1} and {MAX_QUANTITY}")
