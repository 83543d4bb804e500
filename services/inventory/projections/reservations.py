"""Open checkout reservations and their deadlines, so the expiry sweep reads a small table instead
of the event log. The sweep re-checks each order's allocation before releasing: this model only
says where to look, the aggregate decides."""

from __future__ import annotations

from typing import ClassVar

from services.inventory.domain.events import INVENTORY_EVENTS, OrderAllocationConfirmed, OrderStockAllocated
from shared.contracts.registry import VersionedEvent
from shared.eventstore.database import DbConnection
from shared.projections.projection import Projected, Projection

_CLOSING = frozenset({"OrderPaid", "OrderStockReleased", "OrderVoided", "OrderStockShipped"})


def _closes(event: VersionedEvent) -> bool:
    """Paid, released, cancelled, shipped, or taken over by a payment attempt: no deadline any more."""
    return event.event_type in _CLOSING or (isinstance(event, OrderAllocationConfirmed) and event.claimed)


class ReservationsProjection(Projection):
    name: ClassVar[str] = "reservations"
    registry = INVENTORY_EVENTS
    event_types = frozenset({"OrderStockAllocated", "OrderAllocationConfirmed"}) | _CLOSING

    def ddl(self, schema: str) -> list[str]:
        return [
            f'CREATE TABLE IF NOT EXISTS "{schema}".open_reservations ('
            " order_id text PRIMARY KEY, expires_at timestamptz NOT NULL)",
            f'CREATE INDEX IF NOT EXISTS open_reservations_by_deadline ON "{schema}".open_reservations'
            " (expires_at)",
        ]

    async def apply(self, conn: DbConnection, schema: str, event: Projected) -> None:
        order_id = event.stream_id.removeprefix("allocation-")
        fact = event.event
        if _closes(fact):
            await conn.execute(f'DELETE FROM "{schema}".open_reservations WHERE order_id = $1', order_id)  # noqa: S608
        elif isinstance(fact, OrderStockAllocated) and fact.expires_at is not None:
            await conn.execute(
                f'INSERT INTO "{schema}".open_reservations VALUES ($1, $2)'  # noqa: S608
                " ON CONFLICT (order_id) DO UPDATE SET expires_at = EXCLUDED.expires_at",
                order_id,
                fact.expires_at,
            )
