"""Shipments: begun by the fulfilment request, dispatched once, and streams an earlier version
opened at the order's creation still read."""

from __future__ import annotations

from datetime import UTC, datetime

from services.fulfillment.domain.events import ShipmentDispatched, ShipmentOpened
from services.fulfillment.domain.shipment import Shipment
from shared.contracts.values import Address, StockLine

NOW = datetime(2026, 11, 26, tzinfo=UTC)
ADDRESS = Address(first_name="A", last_name="B", line_1="1", postcode="P", country="GB")
LINES = [StockLine(product_id="p1", quantity=2)]


def test_a_new_shipment_is_unfulfilled_and_dispatches_once() -> None:
    shipment = Shipment("o1")
    assert shipment.status == "unfulfilled"
    assert shipment.dispatch(ADDRESS, LINES, NOW) and shipment.status == "fulfilled"
    assert not shipment.dispatch(ADDRESS, LINES, NOW)
    assert sum(isinstance(e, ShipmentDispatched) for e in shipment.peek_pending()) == 1
    replayed = Shipment.rehydrate("o1", shipment.take_pending())
    assert replayed.status == "fulfilled" and replayed.lines == LINES


def test_a_shipment_an_earlier_version_opened_with_the_order_still_dispatches_once() -> None:
    replayed = Shipment.rehydrate("o2", [ShipmentOpened(at=NOW)])
    assert replayed.status == "unfulfilled" and replayed.opened_at == NOW
    assert replayed.dispatch(ADDRESS, LINES, NOW) and not replayed.dispatch(ADDRESS, LINES, NOW)
    assert replayed.status == "fulfilled"
