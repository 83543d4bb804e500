"""One row per shipment: its status, when it was opened and dispatched, and where it ships (the
corrected address until dispatched, then the dispatch's). Optional: no request reads it, so it runs
only with FULFILLMENT_SHIPMENTS_PROJECTION=1 (see `services.fulfillment.settings.Settings`)."""

from __future__ import annotations

from typing import ClassVar

from services.fulfillment.domain.events import (
    FULFILLMENT_EVENTS,
    ShipmentAddressCorrected,
    ShipmentDispatched,
    ShipmentOpened,
)
from shared.eventstore.database import DbConnection
from shared.projections.projection import Projected, Projection


class ShipmentsProjection(Projection):
    name: ClassVar[str] = "shipments"
    registry = FULFILLMENT_EVENTS

    def ddl(self, schema: str) -> list[str]:
        return [
            f'CREATE TABLE IF NOT EXISTS "{schema}".shipments ('
            " order_id text PRIMARY KEY, status text NOT NULL, opened_at timestamptz,"
            " dispatched_at timestamptz, lines jsonb NOT NULL DEFAULT '[]', shipping_address jsonb)"
        ]  # a model of the older shape (no shipping_address) is rebuilt from the log by its runner

    async def apply(self, conn: DbConnection, schema: str, event: Projected) -> None:
        order_id = event.stream_id.removeprefix("shipment-")
        fact = event.event
        if isinstance(fact, ShipmentOpened):
            await conn.execute(
                f'INSERT INTO "{schema}".shipments (order_id, status, opened_at) VALUES ($1, $2, $3)'  # noqa: S608
                " ON CONFLICT (order_id) DO UPDATE SET opened_at = EXCLUDED.opened_at",
                order_id,
                "unfulfilled",
                event.occurred_at,
            )
        elif isinstance(fact, ShipmentAddressCorrected):
            await conn.execute(
                f'INSERT INTO "{schema}".shipments (order_id, status, shipping_address)'  # noqa: S608
                " VALUES ($1, 'unfulfilled', $2) ON CONFLICT (order_id) DO UPDATE"
                " SET shipping_address = EXCLUDED.shipping_address",
                order_id,
                fact.shipping_address.model_dump(mode="json"),
            )
        elif isinstance(fact, ShipmentDispatched):
            await conn.execute(
                f'INSERT INTO "{schema}".shipments (order_id, status, dispatched_at, lines, shipping_address)'  # noqa: S608
                " VALUES ($1, 'fulfilled', $2, $3, $4) ON CONFLICT (order_id) DO UPDATE"
                " SET status = 'fulfilled', dispatched_at = EXCLUDED.dispatched_at, lines = EXCLUDED.lines,"
                " shipping_address = EXCLUDED.shipping_address",
                order_id,
                event.occurred_at,
                [line.model_dump(mode="json") for line in fact.lines],
                fact.shipping_address.model_dump(mode="json"),
            )
