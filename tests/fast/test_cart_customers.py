"""The cart service's customer handlers on the in-memory database, with the cart's own tables in
memory (the fast tier): registration with a unique email, profile changes moving the email's claim,
deletion freeing it, sign-in, saved addresses, and customer carts (association, listing, the last
cart rule, merging). Personal data is kept in clear here (`PersonalData(None)`): sealing under a
customer's key needs the key table's PostgreSQL (tests/privacy, tests/cart/test_customer_*.py)."""

from __future__ import annotations

from functools import partial

import pytest

from services.cart.application import cart_customers, carts, customers
from services.cart.application.customer_addresses import add_address, remove_address, update_address
from services.cart.domain.associations import CartAccess, CustomerCartForbidden
from services.cart.domain.cart import Cart
from services.cart.domain.customer import Customer, CustomerNotFound
from services.cart.domain.errors import DuplicateEmail, InsufficientStock
from shared.domain.errors import DomainError
from tests.fast import cart_builders as build
from tests.fast.cart_builders import keys
from tests.fast.memory import published, published_data
from tests.support.saved_addresses import HOME

ADMIN = CartAccess(is_admin=True, customer_id=None)
ANN = CartAccess(is_admin=False, customer_id="cu-ann")
GUEST = CartAccess(is_admin=False, customer_id=None)


@pytest.fixture
async def shop() -> build.Cart:
    shop = build.cart_database()
    await build.customer(shop, "cu-ann", "Ann@Example.com")
    return shop


async def update(
    shop: build.Cart, customer_id: str, password_hash: str | None = None, **changes: str
) -> Customer:
    customer_keys = await keys(customer_id)
    return await shop.database.run(
        lambda uow: customers.update_customer(uow, customer_keys, customer_id, dict(changes), password_hash)
    )


async def passwords_match(password: str, stored: str | None) -> bool:
    return stored is not None and stored == f"hash-of-{password}"


async def test_a_customer_registers_with_an_email_nobody_else_has(shop: build.Cart) -> None:
    ann = await shop.database.read(Customer, "cu-ann")
    assert ann.registered and ann.email == "ann@example.com"  # in lower case (in clear: privacy off)
    assert shop.tables.customer_emails == {"ann@example.com": "cu-ann"}
    before = shop.snapshot()
    with pytest.raises(DuplicateEmail) as clash:
        await build.customer(shop, "cu-other", "ANN@example.com")
    assert (clash.value.status, clash.value.source) == (409, "data.email")
    assert shop.snapshot() == before
    with pytest.raises(DomainError, match="already exists"):  # the same customer again
        await build.customer(shop, "cu-ann", "another@example.com")


async def test_a_changed_email_moves_its_claim_and_frees_the_old_one(shop: build.Cart) -> None:
    await build.customer(shop, "cu-ben", "ben@example.com")
    before = shop.snapshot()
    with pytest.raises(DuplicateEmail):
        await update(shop, "cu-ben", email="ann@example.com", name="Ben")
    assert shop.snapshot() == before  # not even the name
    await update(shop, "cu-ann", email="ann@pawnee.gov")
    assert shop.tables.customer_emails == {"ann@pawnee.gov": "cu-ann", "ben@example.com": "cu-ben"}
    await build.customer(shop, "cu-third", "ann@example.com")  # free again
    version = (await shop.database.read(Customer, "cu-ann")).version
    await update(shop, "cu-ann", email="ANN@pawnee.gov")  # the same email: nothing to record
    assert (await shop.database.read(Customer, "cu-ann")).version == version
    changed = await update(shop, "cu-ann", "new-hash", name="Ann Knope")
    assert (changed.name, changed.password_hash) == ("Ann Knope", "new-hash")
    with pytest.raises(CustomerNotFound):
        await update(shop, "cu-nobody", name="X")


async def test_a_deleted_customer_frees_their_email_and_is_announced(shop: build.Cart) -> None:
    await shop.database.run(lambda uow: customers.delete_customer(uow, "cu-ann"))
    assert shop.tables.customer_emails == {}
    assert published(shop.database) == [("CustomerDeleted", "cu-ann")]
    assert published_data(shop.database, "CustomerDeleted") == [{"customer_id": "cu-ann"}]
    assert await customers.was_deleted(shop.database, "cu-ann")
    assert not await customers.was_deleted(shop.database, "cu-never")
    await build.customer(shop, "cu-new", "ann@example.com")


async def test_sign_in_finds_the_customer_by_their_email_s_claim_and_password(shop: build.Cart) -> None:
    customer_keys = await keys("cu-ben")
    await shop.database.run(
        lambda uow: customers.register_customer(
            uow, customer_keys, "cu-ben", "Ben", "ben@example.com", "hash-of-secret", None
        )
    )
    signed_in = await customers.authenticate(shop.database, "ben@example.com", "secret", passwords_match)
    assert signed_in.id == "cu-ben"
    for claim, password in (("ben@example.com", "wrong"), ("nobody@example.com", "secret")):
        with pytest.raises(DomainError) as refused:
            await customers.authenticate(shop.database, claim, password, passwords_match)
        assert refused.value.status == 401


async def test_saved_addresses_are_added_merged_with_a_partial_change_and_removed(shop: build.Cart) -> None:
    customer_keys = await keys("cu-ann")
    await shop.database.run(lambda uow: add_address(uow, customer_keys, "cu-ann", "a-1", HOME))
    saved = await shop.database.run(
        lambda uow: update_address(uow, customer_keys, "cu-ann", "a-1", {"line_1": "4 Oak St"})
    )
    assert (saved.fields.line_1, saved.fields.postcode) == ("4 Oak St", "46001")
    version = (await shop.database.read(Customer, "cu-ann")).version
    await shop.database.run(
        lambda uow: update_address(uow, customer_keys, "cu-ann", "a-1", {"line_1": "4 Oak St"})
    )
    assert (await shop.database.read(Customer, "cu-ann")).version == version  # no change: nothing recorded
    await shop.database.run(lambda uow: remove_address(uow, "cu-ann", "a-1"))
    assert (await shop.database.read(Customer, "cu-ann")).addresses == {}
    with pytest.raises(CustomerNotFound):
        await shop.database.run(lambda uow: add_address(uow, customer_keys, "cu-nobody", "a-1", HOME))


async def test_a_customer_s_carts_are_theirs_and_their_last_one_cannot_be_deleted(shop: build.Cart) -> None:
    for cart_id in ("c-1", "c-2"):
        await shop.database.run(partial(carts.create_cart, cart_id=cart_id, name="", description=""))
        await shop.database.run(
            partial(cart_customers.associate, cart_id=cart_id, customer_id="cu-ann", access=ANN)
        )
    with pytest.raises(CustomerCartForbidden):  # a storefront associates only its own customer
        await shop.database.run(lambda uow: cart_customers.associate(uow, "c-3", "cu-ann", GUEST))
    with pytest.raises(CustomerNotFound):
        await shop.database.run(lambda uow: cart_customers.associate(uow, "c-3", "cu-nobody", ADMIN))
    with pytest.raises(CustomerCartForbidden):  # another shopper cannot use her cart
        await shop.database.run(lambda uow: cart_customers.accessible_cart(uow, "c-1", GUEST))
    async with shop.database.unit_of_work() as uow:
        assert [cart.id for cart in await cart_customers.carts_of(uow, "cu-ann")] == ["c-2", "c-1"]

    await shop.database.run(lambda uow: cart_customers.delete(uow, "c-1", ANN))
    assert (await shop.database.read(Cart, "c-1")).customer_id is None  # a deleted cart loses its customer
    before = shop.snapshot()
    with pytest.raises(DomainError, match="last cart"):
        await shop.database.run(lambda uow: cart_customers.delete(uow, "c-2", ANN))
    assert shop.snapshot() == before
    await shop.database.run(lambda uow: cart_customers.dissociate(uow, "c-2", "cu-ann", ANN))
    async with shop.database.unit_of_work() as uow:
        assert await cart_customers.carts_of(uow, "cu-ann") == []


async def test_a_guest_cart_merges_into_the_customer_s_cart_within_stock(shop: build.Cart) -> None:
    await build.product(shop, "p-shoe", "shoe")
    await build.product(shop, "p-hat", "hat", manage_stock=True)
    shop.tables.record_stock_level("p-hat", 2)
    for cart_id, product_id, quantity in (
        ("c-ann", "p-hat", 1),
        ("c-guest", "p-hat", 2),
        ("c-guest", "p-shoe", 1),
    ):
        command = carts.AddProduct(cart_id=cart_id, quantity=quantity, product_id=product_id)
        await shop.database.run(partial(carts.add_product, command=command))
    await shop.database.run(lambda uow: cart_customers.associate(uow, "c-ann", "cu-ann", ANN))

    before = shop.snapshot()
    with pytest.raises(InsufficientStock):  # 1 + 2 hats, 2 in stock: all or nothing refuses
        await shop.database.run(
            lambda uow: cart_customers.merge(uow, "c-ann", "c-guest", ANN, all_or_nothing=True)
        )
    assert shop.snapshot() == before
    merged, refused = await shop.database.run(
        lambda uow: cart_customers.merge(uow, "c-ann", "c-guest", ANN, all_or_nothing=False)
    )
    assert [type(error) for error in refused] == [InsufficientStock]
    assert sorted((line.product_id, line.quantity) for line in merged.lines.values()) == [
        ("p-hat", 1),
        ("p-shoe", 1),
    ]
    with pytest.raises(CustomerCartForbidden):  # her cart is not a guest's to merge into
        await shop.database.run(
            lambda uow: cart_customers.merge(uow, "c-ann", "c-guest", GUEST, all_or_nothing=False)
        )
