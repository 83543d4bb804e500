"""A cart that starts sealing personal data turns the email claims it recorded in clear into keyed
indexes, so a customer registered before keeps signing in and keeps their email
(`services.cart.adapters.email_claims`); with privacy off it leaves them as they are."""

from __future__ import annotations

from services.cart.adapters.email_claims import index_claims_in_clear
from services.cart.adapters.tables import CART_DDL
from shared.privacy.key_store import KeyStore
from shared.privacy.master_keys import MasterKeys, new_master_key
from shared.privacy.personal_data import PersonalData
from tests.support.databases import fresh_database

SEALING = PersonalData(KeyStore("postgresql://unused/x", MasterKeys.parse(new_master_key())), b"index key")
"""Sealing on (an email's index needs no key table, so this one is never opened)."""


async def test_claims_in_clear_become_indexes_once_and_only_when_sealing(postgres):
    async with fresh_database(postgres, "cart-claims", max_size=2) as db:
        for statement in CART_DDL:
            await db.pool.execute(statement)
        indexed = SEALING.email_index("bob@example.com")
        await db.pool.executemany(
            "INSERT INTO customer_emails (email, customer_id) VALUES ($1, $2)",
            [("ann@example.com", "ann"), (indexed, "bob")],
        )

        assert await index_claims_in_clear(db.pool, PersonalData(None)) == 0
        before = await db.pool.fetch("SELECT email, customer_id FROM customer_emails ORDER BY customer_id")
        assert [tuple(r) for r in before] == [("ann@example.com", "ann"), (indexed, "bob")]

        assert await index_claims_in_clear(db.pool, SEALING) == 1
        assert await index_claims_in_clear(db.pool, SEALING) == 0
        after = await db.pool.fetch("SELECT email, customer_id FROM customer_emails ORDER BY customer_id")
        assert [tuple(r) for r in after] == [
            (SEALING.email_index("Ann@Example.com"), "ann"),
            (indexed, "bob"),
        ]
