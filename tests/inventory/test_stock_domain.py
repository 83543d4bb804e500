"""A product's stock, pure: given its events, when an admin transaction or an order movement,
then the movements recorded or Elastic Path's error."""

from __future__ import annotations

import pytest

from services.inventory.domain.errors import InsufficientStock, InvalidQuantity, StockNotFound
from services.inventory.domain.stock import Stock, stock_transactions
from tests.inventory.builders import NOW, levels, movements, recorded, stock


def test_creating_stock_sets_the_total_and_starts_the_history() -> None:
    s = Stock("p1")
    transaction = s.set_quantity(10, NOW)
    assert movements(s) == [("set", 10, 10, 0, None)]
    assert levels(s) == (10, 0, 10) and s.tracked and s.limits_sales
    assert [t.id for t in stock_transactions(s.peek_pending())] == [transaction.id]
    assert transaction.action == "set"


@pytest.mark.parametrize(
    "action,quantity,expected",
    [
        ("increment", 5, (15, 4, 11)),
        ("decrement", 6, (4, 4, 0)),
        ("allocate", 6, (10, 10, 0)),
        ("deallocate", 4, (10, 0, 10)),
    ],
)
def test_admin_transactions_follow_elastic_paths_arithmetic(action, quantity, expected) -> None:
    s = stock("p1", 10, allocated=4)
    s.transact(action, quantity, NOW)
    assert levels(s) == expected
    assert movements(s) == [(action, quantity, expected[0], expected[1], None)]


@pytest.mark.parametrize(
    "action,quantity",
    [("decrement", 7), ("allocate", 7), ("deallocate", 5)],
)
def test_a_transaction_that_cannot_apply_is_422_and_records_nothing(action, quantity) -> None:
    s = stock("p1", 10, allocated=4)
    with pytest.raises(InsufficientStock) as raised:
        s.transact(action, quantity, NOW)
    assert (raised.value.status, raised.value.title, raised.value.detail) == (
        422,
        "Cannot complete request",
        "Your request could not be completed due to insufficient stock levels",
    )
    assert recorded(s) == [] and levels(s) == (10, 4, 6)


@pytest.mark.parametrize("quantity", [0, -1, 1_000_000_001, True])
def test_quantities_must_be_positive_integers(quantity) -> None:
    s = stock("p1", 10)
    with pytest.raises(InvalidQuantity):
        s.transact("increment", quantity, NOW)
    assert recorded(s) == []


def test_stock_can_be_set_to_zero_but_not_below_what_orders_hold() -> None:
    s = stock("p1", 10, allocated=3)
    with pytest.raises(InsufficientStock):
        s.set_quantity(2, NOW)
    s.set_quantity(3, NOW)
    assert levels(s) == (3, 3, 0)
    assert stock("p2", 5).set_quantity(0, NOW).quantity == 0


def test_transactions_on_a_product_without_stock_are_404() -> None:
    with pytest.raises(StockNotFound):
        Stock("p1").transact("increment", 1, NOW)


def test_deleting_stock_stops_managing_it_unless_orders_hold_some() -> None:
    with pytest.raises(InsufficientStock):
        stock("p1", 10, allocated=1).stop_tracking(NOW)
    s = stock("p1", 10)
    s.stop_tracking(NOW)
    assert recorded(s) == ["StockUntracked"] and not s.tracked and levels(s) == (0, 0, 0)
    assert not s.limits_sales


def test_the_catalogue_decides_whether_a_product_is_managed() -> None:
    unknown = Stock("p1")
    assert not unknown.limits_sales  # nobody manages it: never blocked
    assert unknown.set_managed(True, NOW) and unknown.limits_sales and levels(unknown) == (0, 0, 0)
    assert not unknown.set_managed(True, NOW)  # the same product published again changes nothing
    assert recorded(unknown) == ["StockManagementChanged"]
    assert not stock("p2", 10, managed=False).limits_sales  # stock exists, the catalogue says no
    assert stock("p3", 10).limits_sales  # an admin created stock, the catalogue has not spoken


def test_an_order_allocates_only_what_is_available() -> None:
    s = stock("p1", 3)
    s.allocate_for("o1", 3, NOW)
    with pytest.raises(InsufficientStock):
        s.allocate_for("o2", 1, NOW)
    assert movements(s) == [("allocate", 3, 3, 3, "o1")]


def test_order_releases_and_shipments_never_refuse_and_never_break_the_invariant() -> None:
    """An admin may have deallocated or decremented an order's stock meanwhile: clamp, don't fail."""
    s = stock("p1", 5, allocated=2)
    s.release_for("o1", 3, NOW)  # only 2 are allocated
    s.ship_for("o2", 9, NOW)  # more than there is
    assert movements(s) == [("deallocate", 2, 5, 0, "o1"), ("ship", 5, 0, 0, "o2")]
    assert levels(s) == (0, 0, 0)


def test_shipping_takes_the_units_from_allocated_and_total() -> None:
    s = stock("p1", 10, allocated=3)
    s.ship_for("o1", 3, NOW)
    assert levels(s) == (7, 0, 7)


def test_the_history_is_the_stream_itself() -> None:
    s = Stock("p1")
    s.set_quantity(10, NOW)
    s.transact("allocate", 2, NOW)
    history = s.take_pending()
    replayed = Stock.rehydrate("p1", history)
    assert [(t.action, t.quantity) for t in stock_transactions(history)] == [("set", 10), ("allocate", 2)]
    assert levels(replayed) == (10, 2, 8) and replayed.version == 2
