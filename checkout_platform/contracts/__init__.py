"""What another backend system needs to publish into the checkout platform, and nothing of the services.

- `WarehouseStockAdjusted` (a WMS/ERP: stock received, counted, damaged), key: product id; refusals
  come back on `WarehouseStockAdjustmentRefused`.
- `ShipmentConfirmed` (a 3PL: carrier and tracking of an order's shipment), key: order id; the
  order then ships (`OrderShipped`), or a refusal is dead-lettered with its reason.
- `ProductPublished` (a catalogue), key: product id.

Wrap an event with `envelope_for`, send `envelope.to_json()` to `topic_for(event_type)` with the
key and `envelope.kafka_headers()` (`checkout_platform.contracts.example_producer` does it with
aiokafka). The JSON Schemas of the same envelopes are in `docs/asyncapi/checkout-platform.json`.
"""

from __future__ import annotations

from shared.contracts.envelope import Envelope
from shared.contracts.events import OrderShipped, ProductPublished
from shared.contracts.inbound import (
    INBOUND,
    ShipmentConfirmed,
    StockAdjustmentKind,
    WarehouseStockAdjusted,
    WarehouseStockAdjustmentRefused,
)
from shared.contracts.integration_event import IntegrationEvent, topic_for


def key_of(event: WarehouseStockAdjusted | ShipmentConfirmed | ProductPublished) -> str:
    """The Kafka key (and aggregate id) of an inbound event: its product or its order."""
    if isinstance(event, ShipmentConfirmed):
        return event.order_id
    return event.product_id


def envelope_for(
    event: WarehouseStockAdjusted | ShipmentConfirmed | ProductPublished,
    *,
    producer: str,
    correlation_id: str | None = None,
) -> Envelope:
    """The envelope to publish `event` in: a fresh `event_id` (publish the same envelope again to
    retry safely: consumers apply an `event_id` once), keyed by `key_of(event)`."""
    key = key_of(event)
    return Envelope.of(event, aggregate_id=key, producer=producer, correlation_id=correlation_id or key)


__all__ = [
    "INBOUND",
    "Envelope",
    "IntegrationEvent",
    "OrderShipped",
    "ProductPublished",
    "ShipmentConfirmed",
    "StockAdjustmentKind",
    "WarehouseStockAdjusted",
    "WarehouseStockAdjustmentRefused",
    "envelope_for",
    "key_of",
    "topic_for",
]
