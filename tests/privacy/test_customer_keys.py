"""A registered customer's key (`services.cart.application.customer_privacy`) against a real key
table: what is sealed for a customer opens through their key alone, their email's claim is an index,
and once erased their values open as `*` and nothing is sealed for them again (a 404, as a customer
who is gone); with privacy off every step is the identity and the claim is the email itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from services.cart.application.customer_privacy import (
    address_transformed,
    customer_keys,
    customers_opener,
    email_claim,
    erase_customer,
)
from services.cart.domain.customer import Customer, CustomerNotFound
from shared.privacy.master_keys import new_master_key
from shared.privacy.personal_data import PersonalData
from shared.privacy.sealed_text import ANONYMISED, is_sealed
from tests.support.saved_addresses import HOME

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def sealing(keys_dsn: str) -> AsyncIterator[PersonalData]:
    personal = PersonalData.from_environ(
        {"PII_MASTER_KEY": new_master_key(), "PII_KEYS_DATABASE_URL": keys_dsn}
    )
    await personal.open()
    yield personal
    await personal.close()


async def registered(personal: PersonalData, customer_id: str) -> Customer:
    keys = await customer_keys(personal, customer_id)
    customer = Customer(customer_id)
    customer.register(keys.seal("Ann Perkins"), keys.seal("ann@example.com"), None, None, NOW)
    customer.add_address("a1", address_transformed(HOME, keys.seal), NOW)
    return customer


async def test_a_customers_values_are_sealed_open_through_their_key_and_are_erased_with_it(sealing):
    ann, ben = await registered(sealing, "ann"), await registered(sealing, "ben")
    assert is_sealed(ann.email) and is_sealed(ann.addresses["a1"].fields.line_1)
    assert (
        email_claim(sealing, "Ann@Example.com") == sealing.email_index("ann@example.com") != "ann@example.com"
    )

    open_ = await customers_opener(sealing, [ann, ben])
    assert (open_(ann.name), open_(ann.email)) == ("Ann Perkins", "ann@example.com")
    assert address_transformed(ann.addresses["a1"].fields, open_) == HOME

    await erase_customer(sealing, "ann")
    open_ = await customers_opener(sealing, [ann, ben])
    assert (open_(ann.email), open_(ann.addresses["a1"].fields.line_1)) == (ANONYMISED, ANONYMISED)
    assert open_(ben.email) == "ann@example.com"  # another customer's key is untouched
    with pytest.raises(CustomerNotFound):
        await customer_keys(sealing, "ann")


async def test_with_privacy_off_values_stay_in_clear_and_the_claim_is_the_email():
    off = PersonalData(None)
    ann = await registered(off, "ann")
    assert (ann.name, ann.email, ann.addresses["a1"].fields) == ("Ann Perkins", "ann@example.com", HOME)
    assert email_claim(off, "Ann@Example.com") == "ann@example.com"
    open_ = await customers_opener(off, [ann])
    assert open_(ann.email) == "ann@example.com"
    await erase_customer(off, "ann")  # nothing to erase: a no-op
