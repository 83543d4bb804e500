"""Open checkout reservations and their deadlines, so the expiry sweep reads a small table instead
of the event log. The sweep re-checks each order's allocation before releasing: this model only
says where to look, the aggregate decides."""

from __future__ import annotations

from typing import ClassVar

from shared.eventstore.database import DbConnection
from shared.eventstore.store import RecordedEvent
from shared.projections.projection import Projection

_CLOSING = frozenset({"OrderPaid", "OrderStockReleased", "OrderVoided", "OrderStockShipped"})


def _closes(event: RecordedEvent) -> bool:
    """Paid, released, cancelled, shipped, or taken over by a payment attempt: no deadline any more."""
    return event.event_type in _CLOSING or bool(
        event.event_type == "OrderAllocationConfirmed" and event.data.get("claimed")
    )


class ReservationsProjection(Projection):
    name: ClassVar[str] = "reservations"
    event_types = frozenset({"OrderStockAllocated", "OrderAllocationConfirmed"}) | _CLOSING

    def ddl(self, schema: str) -> list[str]:
        return [
            f'CREATE TABLE IF NOT EXISTS "{schema}".open_reservations ('
            " order_id text PRIMARY KEY, expires_at timestamptz NOT NULL)",
            f'CREATE INDEX IF NOT EXISTS open_reservations_by_deadline ON "{schema}".open_reservations'
            " (expires_at)",
        ]

    async def apply(self, conn: DbConnection, schema: str, event: RecordedEvent) -> None:
        order_id = event.stream_id.removeprefix("allocation-")
        if _closes(event):
            await conn.execute(f'DELETE FROM "{schema}".open_reservations WHERE order_id = $1', order_id)  # noqa: S608
        elif event.event_type == "OrderStockAllocated" and event.data.get("expires_at"):
            await conn.execute(
                f'INSERT INTO "{schema}".open_reservations VALUES ($1, $2::text::timestamptz)'  # noqa: S608
                " ON CONFLICT (order_id) DO UPDATE SET expires_at = EXCLUDED.expires_at",
                order_id,
                event.data["expires_at"],
            )
