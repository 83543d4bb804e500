"""Inbound integration events: facts other backend systems publish into the platform.

A warehouse (WMS/ERP) reports stock it received, counted or wrote off; a third-party logistics
provider (3PL) confirms an order's shipment with its carrier and tracking reference. They travel in
the same `Envelope` as every other event, on a topic named after their type, keyed by their
aggregate (product id, order id), and are applied once per `event_id`. A message that does not
validate is dead-lettered with the reason; one that validates but breaks a rule is refused
visibly (see each class). Their models are public in `checkout_platform.contracts`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from shared.contracts.integration_event import CONTRACTS, IntegrationEvent

MAX_QUANTITY = 1_000_000_000
StockAdjustmentKind = Literal["received", "counted", "damaged"]


@CONTRACTS.register
class WarehouseStockAdjusted(IntegrationEvent):
    """The warehouse's stock of a product changed. Key: product id. Consumed by inventory.

    `received`: goods came in (`quantity` more); `damaged`: units were written off (`quantity`
    fewer, never below what orders hold); `counted`: a stock count found `quantity` units (the
    total becomes it, never below what orders hold). Applied with the rules of the admin's stock
    transactions; a refusal is recorded on the product's stock and answered with
    `WarehouseStockAdjustmentRefused`, never dropped.
    """

    aggregate_type = "stock"

    product_id: str = Field(min_length=1, max_length=500)
    kind: StockAdjustmentKind
    quantity: int = Field(ge=0, le=MAX_QUANTITY)
    reference: str = Field(default="", max_length=200, description="The warehouse's own reference")

    @model_validator(mode="after")
    def _moves_something(self) -> WarehouseStockAdjusted:
        if self.kind != "counted" and self.quantity < 1:
            raise ValueError(f"a {self.kind} adjustment moves at least 1 unit")
        return self


@CONTRACTS.register
class WarehouseStockAdjustmentRefused(IntegrationEvent):
    """Inventory refused a `WarehouseStockAdjusted` (its `event_id` is `adjustment_id`): nothing
    changed. `total` and `allocated` are the product's levels that refused it. Key: product id."""

    aggregate_type = "stock"

    product_id: str
    adjustment_id: str
    kind: str
    quantity: int
    reference: str = ""
    reason: str
    total: int
    allocated: int


@CONTRACTS.register
class ShipmentConfirmed(IntegrationEvent):
    """A 3PL shipped the order: its carrier and tracking reference. Key: order id.

    Consumed by the order service, which flags the order `fulfilled` exactly as an admin's
    `PUT /v2/orders/:id` does (only a paid, uncancelled order), so fulfilment records the shipment
    with this carrier and tracking and announces `OrderShipped`. A confirmation the order refuses
    (unpaid, cancelled) is dead-lettered with the reason; one for an order not placed yet waits.
    """

    aggregate_type = "shipment"

    order_id: str = Field(min_length=1, max_length=500)
    carrier: str = Field(min_length=1, max_length=100)
    tracking_reference: str = Field(min_length=1, max_length=200)
    shipped_at: datetime | None = None


INBOUND = ("ProductPublished", WarehouseStockAdjusted.event_type, ShipmentConfirmed.event_type)
"""The event types other systems publish into the platform (`ProductPublished`: a catalogue, which
the cart's own catalogue publishes too)."""

__all__ = [
    "INBOUND",
    "ShipmentConfirmed",
    "StockAdjustmentKind",
    "WarehouseStockAdjusted",
    "WarehouseStockAdjustmentRefused",
]
