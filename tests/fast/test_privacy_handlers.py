"""Sealing in the handlers on the fast tier, with the data keys in memory (`InMemoryKeyStore`, which
keeps the key table's contract: tests/contract/test_data_keys.py): a checkout publishes its
customer and addresses sealed under the order's key and answers them in clear; a registered
customer is stored sealed and reads as `*` once erased; an order's address correction is sealed,
changes nothing when repeated, and is refused once the order's key is destroyed. The key table
itself, and the byte search of every table and topic, stay on PostgreSQL and Kafka (tests/privacy,
tests/e2e/test_order_anonymisation.py)."""

from __future__ import annotations

from typing import Any

import pytest

from services.cart.adapters.in_memory import provide_in_memory_tables
from services.cart.application import carts
from services.cart.application.checkout import CheckOut, check_out
from services.cart.application.customer_privacy import customer_keys, customers_opener, erase_customer
from services.cart.application.customers import register_customer
from services.cart.domain.customer import Customer
from services.order.application.anonymising import destroy_keys, mark_anonymised
from services.order.application.cancelling import CancelOrder, cancel_order
from services.order.application.correcting import UpdateOrder, update_order
from services.order.application.placing import place_order
from services.order.domain.corrections import DetailsCorrection
from services.order.domain.errors import OrderDetailsAreErased
from shared.contracts.events import CartCheckedOut
from shared.eventstore.in_memory import InMemoryDatabase
from shared.privacy.data_keys import InMemoryKeyStore
from shared.privacy.personal_data import PersonalData
from shared.privacy.sealed_text import ANONYMISED, is_sealed
from tests.fast import cart_builders as build
from tests.fast.cart_builders import ADDRESS, ORDER_IDS
from tests.fast.memory import published_data


@pytest.fixture
def personal() -> PersonalData:
    return PersonalData(InMemoryKeyStore(), b"fast-tier index key")


async def checked_out(personal: PersonalData) -> tuple[str, dict[str, Any], CartCheckedOut]:
    """A guest's checkout of one shoe: its order id, what was published, the clear answer."""
    shop = build.cart_database()
    await build.product(shop, "p-shoe", "shoe")
    await shop.database.run(lambda uow: carts.create_cart(uow, "c-1", "Mine", ""))
    add = carts.AddProduct(cart_id="c-1", quantity=1, product_id="p-shoe")
    await shop.database.run(lambda uow: carts.add_product(uow, add))
    command = CheckOut(
        cart_id="c-1",
        billing_address=ADDRESS,
        shipping_address=ADDRESS,
        customer_name="Ron Swanson",
        customer_email="ron@example.com",
    )
    done = await shop.database.run(lambda uow: check_out(uow, command, ORDER_IDS, personal))
    [published] = published_data(shop.database, "CartCheckedOut")
    return done.clear.order_id, published, done.clear


async def test_a_checkout_publishes_its_parties_sealed_and_answers_them_in_clear(
    personal: PersonalData,
) -> None:
    order_id, published, clear = await checked_out(personal)
    sealed = [
        published["customer"]["name"],
        published["customer"]["email"],
        published["shipping_address"]["line_1"],
    ]
    assert all(is_sealed(value) for value in sealed) and "ron@example.com" not in str(published)
    assert published["customer"]["email_index"] == personal.email_index("Ron@Example.com")
    assert (clear.customer.email, clear.shipping_address.line_1) == ("ron@example.com", ADDRESS.line_1)
    open_ = await personal.opener(sealed)
    assert [open_(value) for value in sealed] == ["Ron Swanson", "ron@example.com", ADDRESS.line_1]
    await destroy_keys(personal, [order_id])
    open_after = await personal.opener(sealed)
    assert [open_after(value) for value in sealed] == [ANONYMISED] * 3


async def test_a_customer_is_stored_sealed_and_reads_as_erased_once_their_key_is_gone(
    personal: PersonalData,
) -> None:
    database = InMemoryDatabase(producer="cart")
    provide_in_memory_tables(database)
    keys = await customer_keys(personal, "cu-ann")
    await database.run(
        lambda uow: register_customer(uow, keys, "cu-ann", "Ann Perkins", "ann@example.com", "hash", None)
    )
    stored = await database.read(Customer, "cu-ann")
    assert is_sealed(stored.email) and is_sealed(stored.name)
    assert (await customers_opener(personal, [stored]))(stored.email) == "ann@example.com"
    await erase_customer(personal, "cu-ann")
    assert (await customers_opener(personal, [stored]))(stored.email) == ANONYMISED


async def test_an_order_s_address_correction_is_sealed_once_and_refused_after_anonymising(
    personal: PersonalData,
) -> None:
    order_id, published, _ = await checked_out(personal)
    orders = InMemoryDatabase(producer="order")
    checkout = CartCheckedOut.model_validate(published)
    await orders.run(lambda uow: place_order(uow, checkout))
    moved = UpdateOrder(order_id, DetailsCorrection(shipping_address={"line_1": "2 Eagleton Rd"}))
    await orders.run(lambda uow: update_order(uow, moved, personal))
    await orders.run(lambda uow: update_order(uow, moved, personal))  # the same again: nothing new
    [updated] = published_data(orders, "OrderUpdated")
    line_1 = updated["shipping_address"]["line_1"]
    assert is_sealed(line_1) and (await personal.opener([line_1]))(line_1) == "2 Eagleton Rd"

    await orders.run(lambda uow: cancel_order(uow, CancelOrder(order_id)))
    await orders.run(lambda uow: mark_anonymised(uow, [order_id]))
    await destroy_keys(personal, [order_id])
    again = UpdateOrder(order_id, DetailsCorrection(shipping_address={"line_1": "3 Pawnee Ave"}))
    with pytest.raises(OrderDetailsAreErased):
        await orders.run(lambda uow: update_order(uow, again, personal))
