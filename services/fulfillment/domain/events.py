"""Domain events of the fulfilment service."""

from __future__ import annotations

from datetime import datetime

from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.contracts.values import Address, StockLine

FULFILLMENT_EVENTS = EventRegistry("fulfillment service")


@FULFILLMENT_EVENTS.register
class ShipmentOpened(VersionedEvent):
    """An order exists and waits to be shipped (`unfulfilled`). Recorded by earlier versions when an
    order was created; read still, no longer recorded."""

    at: datetime


@FULFILLMENT_EVENTS.register
class ShipmentDispatched(VersionedEvent):
    """The order left: shipping `fulfilled` (with the 3PL's carrier and tracking, when it said so)."""

    shipping_address: Address
    lines: list[StockLine] = []
    carrier: str | None = None
    tracking_reference: str | None = None
    at: datetime


@FULFILLMENT_EVENTS.register
class ShipmentAddressCorrected(VersionedEvent):
    """The order's shipping address was corrected before shipping: ship there. `order_version` is the
    order's version that said so, so a correction arriving late never replaces a newer one."""

    shipping_address: Address
    order_version: int
    at: datetime
