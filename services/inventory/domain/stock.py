"""A product's stock: total, allocated, available (= total - allocated), and its transactions.

The stream gains an event with every sale, so the aggregate snapshots its counters every
`snapshot_every` (25) events (shared/domain/snapshots.py) and loads in constant time however long the
product has sold; its transaction history is read from the stream only by the endpoints that list it.

Every change is one `StockMovement` on the product's own stream, so concurrent allocations of one
product serialise on that stream's version (optimistic concurrency): two writers that read the
same level cannot both append, the loser re-reads and decides again. That, and the rule
`allocated <= total` checked here before every movement, is what makes overselling impossible.

Admin transactions follow Elastic Path and refuse what cannot apply (422). Movements made by an
order's life (release, ship) never refuse: the order already owns that stock, and a consumer
must not get stuck on a fact it cannot change; they clamp instead, keeping the invariant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal
from uuid import uuid4

from services.inventory.domain.errors import (
    InsufficientStock,
    InvalidQuantity,
    StockLevelsBroken,
    StockNotFound,
)
from services.inventory.domain.events import (
    INVENTORY_EVENTS,
    StockAdjustmentRefused,
    StockManagementChanged,
    StockMovement,
    StockUntracked,
)
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.domain.snapshots import SnapshottingAggregate, moment_from_text

MAX_QUANTITY = 1_000_000_000
AdminAction = Literal["increment", "decrement", "allocate", "deallocate"]
ADMIN_ACTIONS: tuple[AdminAction, ...] = ("increment", "decrement", "allocate", "deallocate")


@dataclass(frozen=True)
class Transaction:
    """One entry of the product's stock history, as `/v2/inventories/:id/transactions` lists it."""

    id: str
    action: str
    quantity: int
    order_id: str | None
    at: datetime


def _transaction(m: StockMovement) -> Transaction:
    return Transaction(m.transaction_id, m.action, m.quantity, m.order_id, m.at)


def stock_transactions(history: Iterable[VersionedEvent]) -> list[Transaction]:
    """The product's transactions, oldest first, from its stream's events."""
    return [_transaction(event) for event in history if isinstance(event, StockMovement)]


class Stock(SnapshottingAggregate):
    stream_type = "stock"
    registry: ClassVar[EventRegistry] = INVENTORY_EVENTS
    # Every sale is loaded (allocation, shipping, reads) several times: a short tail after the
    # snapshot keeps each load to a few events, for one small upsert every 25 events.
    snapshot_every: ClassVar[int] = 25

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.total = 0
        self.allocated = 0
        self.tracked = False  # stock was created for it (and not deleted since)
        self.managed: bool | None = None  # the catalogue's `manage_stock`; None: not heard yet
        self.created_at: datetime | None = None
        self.updated_at: datetime | None = None

    def snapshot_state(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "allocated": self.allocated,
            "tracked": self.tracked,
            "managed": self.managed,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        self.total, self.allocated = state["total"], state["allocated"]
        self.tracked, self.managed = state["tracked"], state["managed"]
        self.created_at, self.updated_at = (
            moment_from_text(state["created_at"]),
            moment_from_text(state["updated_at"]),
        )

    @property
    def available(self) -> int:
        return self.total - self.allocated

    @property
    def limits_sales(self) -> bool:
        """Whether orders of this product are held to its stock.

        The catalogue decides (`manage_stock`); until it has spoken, a product is managed when an
        admin created stock for it. Products nobody manages are never blocked for stock.
        """
        return self.managed if self.managed is not None else self.tracked

    # -- admin ------------------------------------------------------------------------------

    def set_quantity(self, quantity: int, at: datetime) -> Transaction:
        """Create (or reset) the stock: total becomes `quantity`; allocations to orders stay."""
        _check(quantity, allow_zero=True)
        self._require(quantity >= self.allocated)
        return self._move("set", quantity, quantity, self.allocated, None, at)

    def stop_tracking(self, at: datetime) -> None:
        """Stop managing the stock; refused while orders hold part of it."""
        self._require_tracked()
        self._require(self.allocated == 0)
        self._record(StockUntracked(at=at))

    def transact(self, action: AdminAction, quantity: int, at: datetime) -> Transaction:
        """An admin stock transaction, Elastic Path's rules: 422 when it cannot apply."""
        self._require_tracked()
        _check(quantity)
        total, allocated = self.total, self.allocated
        if action == "increment":
            total += quantity
        elif action == "decrement":
            self._require(quantity <= self.available)
            total -= quantity
        elif action == "allocate":
            self._require(quantity <= self.available)
            allocated += quantity
        elif action == "deallocate":
            self._require(quantity <= self.allocated)
            allocated -= quantity
        else:
            raise InvalidQuantity(f"unknown action {action!r}")
        return self._move(action, quantity, total, allocated, None, at)

    def set_managed(self, managed: bool, at: datetime) -> bool:
        """Learn the catalogue's `manage_stock`; True if it changed anything."""
        if managed == self.managed:
            return False
        self._record(StockManagementChanged(managed=managed, at=at))
        return True

    def record_refusal(self, refusal: StockAdjustmentRefused) -> None:
        """Keep a warehouse adjustment these rules refused on the stream; nothing moves."""
        self._record(refusal)

    # -- an order's life --------------------------------------------------------------------

    def allocate_for(self, order_id: str, quantity: int, at: datetime) -> None:
        """Allocate `quantity` to an order; never more than is available."""
        _check(quantity)
        self._require(quantity <= self.available)
        self._move("allocate", quantity, self.total, self.allocated + quantity, order_id, at)

    def release_for(self, order_id: str, quantity: int, at: datetime) -> None:
        """Give an order's allocation back (clamped: an admin may have deallocated it already)."""
        quantity = min(quantity, self.allocated)
        if self.tracked and quantity > 0:
            self._move("deallocate", quantity, self.total, self.allocated - quantity, order_id, at)

    def ship_for(self, order_id: str, quantity: int, at: datetime) -> None:
        """A shipped order's stock leaves: allocated and total go down (clamped at what is there)."""
        total_down, allocated_down = min(quantity, self.total), min(quantity, self.allocated)
        if self.tracked and total_down > 0:
            self._move(
                "ship", total_down, self.total - total_down, self.allocated - allocated_down, order_id, at
            )

    # -- rules ------------------------------------------------------------------------------

    def _require_tracked(self) -> None:
        if not self.tracked:
            raise StockNotFound(self.id)

    def _require(self, enough: bool) -> None:
        if not enough:
            raise InsufficientStock(self.id)

    def _move(
        self, action: str, quantity: int, total: int, allocated: int, order_id: str | None, at: datetime
    ) -> Transaction:
        if not 0 <= allocated <= total:
            raise StockLevelsBroken(self.id, total, allocated)
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
        return _transaction(movement)

    def apply(self, event: VersionedEvent) -> None:
        match event:
            case StockMovement():
                self.total, self.allocated = event.total_after, event.allocated_after
                self.tracked = True
                self.created_at = self.created_at or event.at
                self.updated_at = event.at
            case StockUntracked(at=at):
                self.tracked, self.total, self.allocated = False, 0, 0
                self.updated_at = at
            case StockManagementChanged(managed=managed, at=at):
                self.managed = managed
                self.updated_at = at


def _check(quantity: int, *, allow_zero: bool = False) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidQuantity("quantity must be an integer")
    low = 0 if allow_zero else 1
    if quantity < low or quantity > MAX_QUANTITY:
        raise InvalidQuantity(f"quantity must be between {low} and {MAX_QUANTITY}")
