"""The key table and the field cipher against a real PostgreSQL: what crypto-shredding rests on."""

from __future__ import annotations

import asyncio
import os
import sys
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest

from shared.contracts.values import Address, Customer
from shared.privacy.cipher import CannotOpen
from shared.privacy.data_keys import SubjectErased
from shared.privacy.key_store import KeyStore
from shared.privacy.master_keys import MasterKeys, new_master_key
from shared.privacy.personal_data import PersonalData, order_subject
from shared.privacy.personal_values import open_customer, seal_customer, transform_address
from shared.privacy.sealed_text import ANONYMISED, is_sealed, seal, unseal


@pytest.fixture
async def keys_dsn(postgres) -> str:
    name = f"privacy_{uuid4().hex[:10]}"
    await postgres.create_database(name)
    return str(postgres.dsn(name))


@pytest.fixture
async def personal(keys_dsn: str) -> AsyncIterator[PersonalData]:
    data = PersonalData.from_environ({"PII_MASTER_KEY": new_master_key(), "PII_KEYS_DATABASE_URL": keys_dsn})
    await data.open()
    yield data
    await data.close()


def test_a_wrong_key_does_not_open_a_sealed_value() -> None:
    sealed = seal(b"a" * 32, "order:1", "ann@example.com")
    assert is_sealed(sealed) and "ann@example.com" not in sealed
    assert unseal(b"a" * 32, sealed) == "ann@example.com"
    with pytest.raises(CannotOpen):
        unseal(b"b" * 32, sealed)


def test_a_value_moved_to_another_subject_does_not_open() -> None:
    sealed = seal(b"a" * 32, "order:1", "ann@example.com")
    moved = sealed.replace("order:1", "order:2")
    with pytest.raises(CannotOpen):
        unseal(b"a" * 32, moved)


async def test_sealed_values_open_through_the_key_table_and_read_anonymised_once_erased(
    personal: PersonalData,
) -> None:
    subject = order_subject(str(uuid4()))
    seal_for = await personal.sealer(subject)
    address = Address(first_name="Ann", last_name="Lee", line_1="1 Elm Street", postcode="N1", country="GB")
    customer = seal_customer(Customer(name="Ann Lee", email="ann@example.com"), seal_for, "idx:x")
    sealed_address = transform_address(address, seal_for)
    assert "1 Elm Street" not in sealed_address.model_dump_json() and "ann@" not in customer.model_dump_json()

    opener = await personal.opener([customer.email, sealed_address.line_1])
    assert open_customer(customer, opener).email == "ann@example.com"
    assert transform_address(sealed_address, opener) == address

    await personal.erase([subject])
    erased = await personal.opener([customer.email])
    assert open_customer(customer, erased).email == ANONYMISED
    assert transform_address(sealed_address, erased).line_1 == ANONYMISED
    with pytest.raises(SubjectErased):
        await personal.sealer(subject)


async def sealed_for_an_order(keys_dsn: str, master_key: str, value: str) -> tuple[str, str]:
    """`value` sealed for a new order under a data key wrapped with `master_key`: (the order's
    subject, the sealed text), for a test to open after the master keys changed."""
    store = KeyStore(keys_dsn, MasterKeys.parse(master_key))
    await store.open()
    try:
        subject = order_subject(str(uuid4()))
        return subject, seal(await store.data_key(subject), subject, value)
    finally:
        await store.close()


async def test_rotation_rewraps_keys_and_keeps_old_values_readable(keys_dsn: str) -> None:
    old = new_master_key("k1")
    subject, sealed = await sealed_for_an_order(keys_dsn, old, "1 Elm Street")

    rotated = KeyStore(keys_dsn, MasterKeys.parse(f"{new_master_key('k2')},{old}"))
    await rotated.open()
    assert await rotated.rotate() >= 1
    assert await rotated.rotate() == 0
    await rotated.close()

    new_only = KeyStore(keys_dsn, MasterKeys.parse(rotated.master.keys_as_env("k2")))
    await new_only.open()
    keys = await new_only.data_keys([subject])
    await new_only.close()
    assert unseal(keys[subject], sealed) == "1 Elm Street"


async def test_a_wrong_master_key_cannot_unwrap(keys_dsn: str) -> None:
    store = KeyStore(keys_dsn, MasterKeys.parse(new_master_key("k1")))
    await store.open()
    subject = order_subject(str(uuid4()))
    await store.data_key(subject)
    await store.close()
    impostor = KeyStore(keys_dsn, MasterKeys.parse(new_master_key("k1")))
    await impostor.open()
    with pytest.raises(CannotOpen):
        await impostor.data_keys([subject])
    await impostor.close()


async def test_checkout_admin_privacy_rotate_retires_the_old_master_key(keys_dsn: str) -> None:
    old = new_master_key("k1")
    subject, sealed = await sealed_for_an_order(keys_dsn, old, "ann@example.com")
    both = MasterKeys.parse(f"{new_master_key('k2')},{old}")
    env = {
        **os.environ,
        "PII_MASTER_KEY": f"{both.keys_as_env('k2', 'k1')}",
        "PII_KEYS_DATABASE_URL": keys_dsn,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "checkout_admin", "privacy", "rotate", env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert out.decode().startswith("rewrapped 1 keys under master key k2"), out

    new_only = KeyStore(keys_dsn, MasterKeys.parse(both.keys_as_env("k2")))
    await new_only.open()
    keys = await new_only.data_keys([subject])
    await new_only.close()
    assert unseal(keys[subject], sealed) == "ann@example.com"
