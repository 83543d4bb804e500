"""Shipments: opened with the order, dispatched once, whatever order the facts arrive in."""

from __future__ import annotations

from datetime import UTC, datetime

from services.fulfillment.domain.events import ShipmentDispatched
from services.fulfillment.domain.shipment import Shipment
from shared.contracts.values import Address, StockLine

NOW = datetime(2026, 11, 26, tzinfo=UTC)
ADDRESS = Address(first_name="A", last_name="B", line_1="1", postcode="P", country="GB")
LINES = [StockLine(product_id="p1", quantity=2)]


def test_a_new_shipment_is_unfulfilled_and_dispatches_once() -> None:
    shipment = Shipment("o1")
    assert shipment.open(NOW) and shipment.status == "unfulfilled"
    assert shipment.dispatch(ADDRESS, LINES, NOW) and shipment.status == "fulfilled"
    assert not shipment.dispatch(ADDRESS, LINES, NOW)
    assert sum(isinstance(e, ShipmentDispatched) for e in shipment.peek_pending()) == 1


def test_a_dispatch_before_the_order_is_known_still_ships_and_the_late_creation_changes_nothing() -> None:
    shipment = Shipment("o2")
    assert shipment.dispatch(ADDRESS, LINES, NOW)
    assert not shipment.open(NOW)
    replayed = Shipment.rehydrate("o2", shipment.take_pending())
    assert replayed.status == "fulfilled" and replayed.lines == LINES
