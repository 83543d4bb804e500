"""A shipment learns corrected addresses from `OrderUpdated`, whatever order they arrive in: the
order's newest version wins, and nothing changes the address once the shipment left."""

from __future__ import annotations

from datetime import UTC, datetime

from services.fulfillment.domain.shipment import Shipment
from shared.contracts.values import Address, StockLine

NOW = datetime(2026, 12, 2, tzinfo=UTC)
FIRST = Address(first_name="A", last_name="B", line_1="1 First St", postcode="P", country="GB")
SECOND = FIRST.model_copy(update={"line_1": "2 Second St"})
THIRD = FIRST.model_copy(update={"line_1": "3 Third St"})
LINES = [StockLine(product_id="p1", quantity=1)]


def test_the_newest_correction_wins_in_any_arrival_order() -> None:
    shipment = Shipment("o1")
    assert shipment.correct_address(THIRD, 4, NOW)
    assert not shipment.correct_address(SECOND, 3, NOW)  # older: late
    assert not shipment.correct_address(THIRD, 4, NOW)  # the same again
    assert shipment.shipping_address == THIRD
    replayed = Shipment.rehydrate("o1", shipment.take_pending())
    assert (replayed.shipping_address, replayed.address_version) == (THIRD, 4)


def test_a_correction_arriving_after_the_dispatch_changes_nothing() -> None:
    shipment = Shipment("o1")
    assert shipment.correct_address(SECOND, 2, NOW)
    assert shipment.dispatch(SECOND, LINES, NOW)
    assert not shipment.correct_address(THIRD, 5, NOW)
    assert shipment.shipping_address == SECOND
