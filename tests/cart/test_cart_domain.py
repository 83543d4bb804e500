"""The cart's rules and arithmetic, pure: given events, when a command, then events or an error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.cart.domain.cart import Cart, ProductSnapshot
from services.cart.domain.email import is_valid_email
from services.cart.domain.errors import (
    CartAlreadyCheckedOut,
    CartRuleBroken,
    InsufficientStock,
    ItemNotInCart,
)
from services.cart.domain.events import CartItemAdded, CartItemQuantityChanged, CartWasCheckedOut, TaxLine
from services.cart.domain.order_ids import OrderIds
from services.cart.domain.pricing import PricedLineInput, PromotionTerms, price_cart
from shared.contracts.values import Address, Customer, ProductPrice, Totals

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
SHOE = ProductSnapshot("p-shoe", "shoe", "Shoe", "shoe", "", "live", True, {"USD": (5000, False)})
HAT = ProductSnapshot(
    "p-hat", "hat", "Hat", "hat", "", "live", False, {"USD": (1999, False), "GBP": (1500, False)}
)
ADDRESS = Address(first_name="A", last_name="B", line_1="1 St", postcode="N1", country="GB")
GUEST = Customer(name="Ron", email="ron@example.com")
TOTALS = Totals(currency="USD", with_tax=1, without_tax=1)
ORDER_IDS = OrderIds(b"unit-test-order-id-key")


def test_adding_a_product_creates_the_cart_and_fixes_its_currency() -> None:
    cart = Cart("ref")
    cart.add_product(HAT, 2, currency="GBP", available=None, now=NOW)
    assert cart.created_at == NOW and cart.currency == "GBP"
    cart.add_product(HAT, 1, currency="USD", available=None, now=NOW)  # the header no longer matters
    [line] = cart.lines.values()
    assert (line.quantity, line.unit_amount, line.currency) == (3, 1500, "GBP")


def test_adding_the_same_product_again_increases_its_quantity() -> None:
    cart = Cart("ref")
    first = cart.add_product(SHOE, 1, currency="USD", available=10, now=NOW)
    again = cart.add_product(SHOE, 2, currency="USD", available=10, now=NOW)
    assert first == again and cart.lines[first].quantity == 3
    assert isinstance(cart.peek_pending()[-1], CartItemQuantityChanged)
    other = cart.add_product(SHOE, 1, currency="USD", available=10, now=NOW, custom_inputs={"engraving": "R"})
    assert other != first and len(cart.lines) == 2


def test_more_than_the_available_stock_is_insufficient_stock_and_changes_nothing() -> None:
    cart = Cart("ref")
    cart.add_product(SHOE, 2, currency="USD", available=3, now=NOW)
    pending = len(cart.peek_pending())
    with pytest.raises(InsufficientStock) as error:
        cart.add_product(SHOE, 2, currency="USD", available=3, now=NOW)
    assert error.value.status == 400 and error.value.title == "Insufficient stock"
    assert len(cart.peek_pending()) == pending and cart.quantity_of("p-shoe") == 2
    cart.add_product(HAT, 50, currency="USD", available=0, now=NOW)  # unmanaged: never blocked


@pytest.mark.parametrize("quantity", [0, -1, 1_000_001])
def test_quantities_out_of_range_are_refused(quantity: int) -> None:
    with pytest.raises(CartRuleBroken):
        Cart("ref").add_product(HAT, quantity, currency="USD", available=None, now=NOW)


def test_a_product_without_a_price_in_the_cart_currency_is_refused() -> None:
    with pytest.raises(CartRuleBroken, match="no price in EUR"):
        Cart("ref").add_product(SHOE, 1, currency="EUR", available=None, now=NOW)


def test_quantity_zero_removes_and_unknown_items_are_not_found() -> None:
    cart = Cart("ref")
    item = cart.add_product(HAT, 1, currency="USD", available=None, now=NOW)
    cart.change_quantity(item, 0, available=None, now=NOW)
    assert cart.lines == {}
    with pytest.raises(ItemNotInCart):
        cart.change_quantity(item, 1, available=None, now=NOW)


def guest_checkout(cart: Cart) -> str:
    """The cart checked out by a guest, with no promotion code: the order's id."""
    return cart.check_out(
        order_ids=ORDER_IDS,
        customer=GUEST,
        billing_address=ADDRESS,
        shipping_address=ADDRESS,
        totals=TOTALS,
        promotion_codes=[],
        now=NOW,
    )


def test_an_empty_cart_cannot_be_checked_out() -> None:
    cart = Cart("ref")
    with pytest.raises(CartRuleBroken, match="empty"):
        guest_checkout(cart)


def test_checking_out_an_unchanged_cart_again_is_refused_and_names_the_order() -> None:
    cart = Cart("ref")
    cart.add_product(HAT, 1, currency="USD", available=None, now=NOW)
    order = guest_checkout(cart)
    assert order == ORDER_IDS.for_checkout("ref", 2)  # created + item added
    with pytest.raises(CartAlreadyCheckedOut) as refused:
        guest_checkout(cart)
    assert refused.value.status == 409 and refused.value.meta == {"order_id": order}
    assert sum(isinstance(e, CartWasCheckedOut) for e in cart.peek_pending()) == 1
    cart.add_product(HAT, 1, currency="USD", available=None, now=NOW)
    second = guest_checkout(cart)
    assert second != order  # a changed cart can be checked out again, as in Elastic Path


def test_history_replays_to_the_same_state() -> None:
    cart = Cart("ref")
    item = cart.add_product(HAT, 2, currency="USD", available=None, now=NOW)
    cart.add_custom_item(
        name="Shipping",
        sku="ship",
        description="",
        quantity=1,
        amount=500,
        includes_tax=True,
        currency="USD",
        now=NOW,
    )
    cart.add_tax(item, TaxLine(id="t1", rate="0.2"), NOW)
    replayed = Cart.rehydrate("ref", cart.take_pending())
    assert replayed.lines == cart.lines and replayed.currency == "USD"
    assert isinstance(
        next(
            iter(
                Cart.rehydrate(
                    "ref",
                    [
                        CartItemAdded(
                            item_id="i",
                            type="cart_item",
                            quantity=1,
                            unit_price=ProductPrice(amount=1, currency="USD"),
                            at=NOW,
                        )
                    ],
                ).lines.values()
            )
        ).id,
        str,
    )


# -- pricing ---------------------------------------------------------------------------------


def line(
    item_id: str,
    quantity: int,
    unit: int,
    *,
    kind: str = "cart_item",
    rates: tuple[str, ...] = (),
    includes_tax: bool = False,
) -> PricedLineInput:
    return PricedLineInput(item_id, kind, quantity, unit, includes_tax, tuple(Decimal(r) for r in rates))


def promo(kind: str, *, amount: int = 0, percent: int = 0, minimum: int = 0, days: int = 1) -> PromotionTerms:
    return PromotionTerms(
        "promo",
        "CODE",
        "Promo",
        kind,
        amount=amount,
        percent=Decimal(percent),
        min_cart_value=minimum,
        start=NOW - timedelta(days=1),
        end=NOW + timedelta(days=days),
    )


def test_totals_add_up_and_tax_applies_after_discount() -> None:
    lines = [
        line("a", 2, 5000, rates=("0.2",)),
        line("b", 1, 1000, rates=("0.2",)),
        line("ship", 1, 500, kind="custom_item"),
    ]
    price = price_cart("USD", lines, [promo("fixed_discount", amount=1100)], NOW)
    totals = price.totals()
    assert totals.without_discount == 11500 and totals.discount == -1100
    assert totals.without_tax == totals.without_discount + totals.discount == 10400
    assert price.lines["a"].discount == -1000 and price.lines["b"].discount == -100  # in proportion
    assert price.lines["ship"].discount == 0  # custom items are not discounted
    assert totals.tax == 1800 + 180 == price.lines["a"].tax + price.lines["b"].tax
    assert totals.with_tax == totals.without_tax + totals.tax
    assert price.applied == {"CODE": -1100}


def test_percent_discounts_and_shares_always_sum_exactly() -> None:
    lines = [line(str(i), 1, 333) for i in range(3)]
    price = price_cart("USD", lines, [promo("percent_discount", percent=10)], NOW)
    assert sum(p.discount for p in price.lines.values()) == -100 == price.totals().discount


def test_a_discount_never_exceeds_the_goods_and_ineligible_promotions_do_not_apply() -> None:
    lines = [line("a", 1, 300)]
    assert price_cart("USD", lines, [promo("fixed_discount", amount=1000)], NOW).totals().without_tax == 0
    assert price_cart("USD", lines, [promo("fixed_discount", amount=100, minimum=500)], NOW).applied == {}
    assert price_cart("USD", lines, [promo("fixed_discount", amount=100, days=-1)], NOW).applied == {}


def test_prices_that_include_tax_are_split_into_net_and_tax() -> None:
    price = price_cart("USD", [line("a", 1, 1200, rates=("0.2",), includes_tax=True)], [], NOW)
    assert (price.lines["a"].without_tax, price.lines["a"].tax, price.lines["a"].with_tax) == (
        1000,
        200,
        1200,
    )


# -- the seed's email rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    "email", [".a@example.com", "a.@example.com", "a..b@example.com", "a@example.com.", "nope"]
)
def test_invalid_emails(email: str) -> None:
    assert not is_valid_email(email)


@pytest.mark.parametrize("email", ["a.b@example.com", "ron@example.co.uk", "x+y@ex.io"])
def test_valid_emails(email: str) -> None:
    assert is_valid_email(email)
