"""The cart service's cart and checkout handlers on the in-memory database, with the cart's own
tables in memory behind the same ports as PostgreSQL's (the fast tier): what each decides, writes
and announces, and that a refusal writes nothing. The same handlers run behind HTTP on PostgreSQL in
tests/cart (test_checkout_rules.py, test_checkout_rechecks_stock.py, test_automatic_promotions.py...)."""

from __future__ import annotations

import pytest

from services.cart.application import carts
from services.cart.application.cart_customers import associate
from services.cart.application.checkout import CheckOut, check_out
from services.cart.application.lookups import price
from services.cart.domain.associations import CartAccess, CustomerCartForbidden
from services.cart.domain.cart import Cart
from services.cart.domain.errors import (
    CartAlreadyCheckedOut,
    CartRuleBroken,
    InsufficientStock,
    PromotionNotApplicable,
    PromotionNotFound,
)
from services.cart.domain.events import TaxLine
from services.cart.domain.product import ProductNotFound
from services.cart.domain.promotion import Promotion
from shared.domain.errors import DomainError
from tests.fast import cart_builders as build
from tests.fast.cart_builders import ADDRESS, ORDER_IDS, PRIVACY_OFF
from tests.fast.memory import appended, published, published_data

ADMIN = CartAccess(is_admin=True, customer_id=None)


@pytest.fixture
async def shop() -> build.Cart:
    """Two products (the hat's stock managed by inventory, 3 available), a 10 % code and an empty cart."""
    shop = build.cart_database()
    await build.product(shop, "p-shoe", "shoe", amount=5_000)
    await build.product(shop, "p-hat", "hat", amount=2_000, manage_stock=True)
    shop.tables.record_stock_level("p-hat", 3)
    await build.promotion(shop, "promo-10", {"code": "TEN", "uses": 1})
    await shop.database.run(lambda uow: carts.create_cart(uow, "c-1", "Mine", ""))
    return shop


async def add(
    shop: build.Cart,
    quantity: int = 1,
    *,
    cart_id: str = "c-1",
    product_id: str | None = None,
    sku: str | None = None,
) -> Cart:
    command = carts.AddProduct(cart_id=cart_id, quantity=quantity, product_id=product_id, sku=sku)
    return await shop.database.run(lambda uow: carts.add_product(uow, command))


async def apply(shop: build.Cart, code: str, cart_id: str = "c-1") -> Cart:
    return await shop.database.run(
        lambda uow: carts.apply_promotion(uow, carts.ApplyPromotion(cart_id, code))
    )


async def read(shop: build.Cart, cart_id: str = "c-1") -> Cart:
    return await shop.database.read(Cart, cart_id)


async def checkout(shop: build.Cart, cart_id: str = "c-1", customer_id: str | None = None) -> str:
    command = CheckOut(
        cart_id=cart_id,
        billing_address=ADDRESS,
        shipping_address=ADDRESS,
        customer_id=customer_id,
        customer_name=None if customer_id else "Ron Swanson",
        customer_email=None if customer_id else "ron@example.com",
    )
    done = await shop.database.run(lambda uow: check_out(uow, command, ORDER_IDS, PRIVACY_OFF))
    return done.clear.order_id


async def test_a_cart_is_created_once_and_renamed_only_when_its_name_changes(shop: build.Cart) -> None:
    await shop.database.run(lambda uow: carts.create_cart(uow, "c-1", "Mine", ""))
    assert (await read(shop)).version == 1
    await shop.database.run(lambda uow: carts.create_cart(uow, "c-1", "Gifts", "for Ann"))
    cart = await read(shop)
    assert (cart.name, cart.description, cart.version) == ("Gifts", "for Ann", 2)
    assert appended(shop.database)[-2:] == ["CartCreated", "CartRenamed"]


async def test_a_product_is_added_by_id_or_by_its_sku_to_one_line(shop: build.Cart) -> None:
    await add(shop, 1, product_id="p-shoe")
    cart = await add(shop, 2, sku="shoe")
    [line] = cart.lines.values()
    assert (line.product_id, line.quantity, line.unit_amount) == ("p-shoe", 3, 5_000)
    before = shop.snapshot()
    with pytest.raises(ProductNotFound):
        await add(shop, 1, sku="no-such-sku")
    assert shop.snapshot() == before


async def test_a_custom_item_joins_the_cart_at_its_own_price(shop: build.Cart) -> None:
    command = carts.AddCustomItem(
        cart_id="c-1",
        name="Engraving",
        sku="engr",
        description="",
        quantity=2,
        amount=700,
        includes_tax=False,
    )
    cart = await shop.database.run(lambda uow: carts.add_custom_item(uow, command))
    [line] = cart.lines.values()
    assert (line.type, line.product_id, line.quantity, line.unit_amount) == ("custom_item", None, 2, 700)


async def test_stock_is_checked_as_inventory_last_published_it(shop: build.Cart) -> None:
    before = shop.snapshot()
    with pytest.raises(InsufficientStock):
        await add(shop, 4, product_id="p-hat")
    assert shop.snapshot() == before
    cart = await add(shop, 3, product_id="p-hat")
    [item_id] = cart.lines
    with pytest.raises(InsufficientStock):
        await shop.database.run(lambda uow: carts.change_quantity(uow, "c-1", item_id, 4))
    shop.tables.record_stock_level("p-hat", 9)
    await shop.database.run(lambda uow: carts.change_quantity(uow, "c-1", item_id, 9))
    assert (await read(shop)).lines[item_id].quantity == 9

    await build.product(shop, "p-new", "new", manage_stock=True)  # managed, no level recorded yet
    with pytest.raises(InsufficientStock):
        await add(shop, 1, product_id="p-new")
    shop.tables.record_stock_level("p-new", 0, managed=False)  # inventory stopped managing it
    assert len((await add(shop, 50, product_id="p-new")).lines) == 2


async def test_items_are_removed_one_by_one_or_all_at_once(shop: build.Cart) -> None:
    await add(shop, product_id="p-shoe")
    cart = await add(shop, product_id="p-hat")
    shoe = next(i for i, line in cart.lines.items() if line.product_id == "p-shoe")
    await shop.database.run(lambda uow: carts.remove_item(uow, "c-1", shoe))
    assert [line.product_id for line in (await read(shop)).lines.values()] == ["p-hat"]
    await shop.database.run(lambda uow: carts.clear_items(uow, "c-1"))
    assert (await read(shop)).lines == {}
    assert appended(shop.database)[-2:] == ["CartItemRemoved", "CartItemsCleared"]


async def test_a_tax_item_taxes_its_line_until_removed(shop: build.Cart) -> None:
    [item_id] = (await add(shop, 2, product_id="p-shoe")).lines
    tax = TaxLine(id="vat", name="VAT", rate="0.2")
    await shop.database.run(lambda uow: carts.add_tax(uow, "c-1", item_id, tax))
    async with shop.database.unit_of_work() as uow:
        totals = (await price(uow, await uow.load(Cart, "c-1"))).totals()
    assert (totals.without_tax, totals.tax, totals.with_tax) == (10_000, 2_000, 12_000)
    with pytest.raises(CartRuleBroken):
        bad = TaxLine(id="bad", rate="1.5")
        await shop.database.run(lambda uow: carts.add_tax(uow, "c-1", item_id, bad))
    await shop.database.run(lambda uow: carts.remove_tax(uow, "c-1", item_id, "vat"))
    assert (await read(shop)).lines[item_id].taxes == []


async def test_a_code_applies_in_any_case_discounts_and_can_be_removed(shop: build.Cart) -> None:
    await add(shop, 2, product_id="p-shoe")
    cart = await apply(shop, "ten")
    assert cart.promotion_codes == {"TEN": "promo-10"}
    async with shop.database.unit_of_work() as uow:
        assert (await price(uow, await uow.load(Cart, "c-1"))).totals().discount == -1_000
    with pytest.raises(PromotionNotFound):
        await apply(shop, "nope")
    await shop.database.run(lambda uow: carts.remove_promotion(uow, "c-1", "ten"))
    assert (await read(shop)).promotion_codes == {}


async def test_an_automatic_promotion_prices_every_cart_and_cannot_be_removed(shop: build.Cart) -> None:
    await build.promotion(shop, "promo-auto", percent=50, automatic=True)
    assert list(shop.tables.automatic_promotions) == ["promo-auto"]
    await add(shop, 2, product_id="p-shoe")
    with pytest.raises(CartRuleBroken, match="cannot be removed"):
        await shop.database.run(lambda uow: carts.remove_promotion(uow, "c-1", "promo-auto"))
    order_id = await checkout(shop)
    [order] = published_data(shop.database, "CartCheckedOut")
    assert order["order_id"] == order_id and order["totals"]["discount"] == -5_000
    assert order["promotion_codes"] == ["promo-auto"]


async def test_a_checkout_names_its_order_from_the_cart_and_announces_it_once(shop: build.Cart) -> None:
    await add(shop, 2, product_id="p-shoe")
    await add(shop, 1, product_id="p-hat")
    await apply(shop, "TEN")
    version = (await read(shop)).version
    order_id = await checkout(shop)
    assert order_id == ORDER_IDS.for_checkout("c-1", version)
    assert published(shop.database)[-1] == ("CartCheckedOut", order_id)
    [order] = published_data(shop.database, "CartCheckedOut")
    assert (order["customer"]["id"], order["customer"]["email"]) == (None, "ron@example.com")
    assert order["totals"]["without_discount"] == 12_000 and order["totals"]["discount"] == -1_200
    assert sorted(item["sku"] for item in order["items"]) == ["hat", "shoe"]
    promotion = await shop.database.read(Promotion, "promo-10")
    assert promotion.codes["ten"].used == 1  # the code's one use is gone with the checkout

    before = shop.snapshot()
    with pytest.raises(CartAlreadyCheckedOut) as refused:
        await checkout(shop)
    assert order_id in str(refused.value.meta) and shop.snapshot() == before


async def test_a_checkout_rechecks_stock_and_a_short_one_writes_nothing(shop: build.Cart) -> None:
    await add(shop, 3, product_id="p-hat")
    await apply(shop, "TEN")
    shop.tables.record_stock_level("p-hat", 2)  # sold elsewhere since
    before = shop.snapshot()
    with pytest.raises(InsufficientStock):
        await checkout(shop)
    assert shop.snapshot() == before
    assert (await shop.database.read(Promotion, "promo-10")).codes["ten"].used == 0


async def test_a_code_used_up_by_one_checkout_refuses_the_next(shop: build.Cart) -> None:
    for cart_id in ("c-1", "c-2"):
        await add(shop, 1, cart_id=cart_id, product_id="p-shoe")
        await apply(shop, "TEN", cart_id)
    await checkout(shop, "c-1")
    before = shop.snapshot()
    with pytest.raises(PromotionNotApplicable):
        await checkout(shop, "c-2")
    assert shop.snapshot() == before


async def test_a_customer_s_cart_becomes_that_customer_s_order(shop: build.Cart) -> None:
    await build.customer(shop, "cu-ann", "ann@example.com")
    await add(shop, 1, product_id="p-shoe")
    await shop.database.run(lambda uow: associate(uow, "c-1", "cu-ann", ADMIN))
    with pytest.raises(CustomerCartForbidden):
        await checkout(shop, customer_id="cu-other")
    await add(shop, 1, cart_id="c-2", product_id="p-shoe")
    with pytest.raises(DomainError, match="No customer"):  # a guest cart names an unregistered customer
        await checkout(shop, "c-2", "cu-ghost")
    order_id = await checkout(shop)
    [order] = published_data(shop.database, "CartCheckedOut")
    assert order["order_id"] == order_id
    assert (order["customer"]["id"], order["customer"]["name"]) == ("cu-ann", "Ann Perkins")
