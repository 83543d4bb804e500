"""The data keys' contract suite on the shared PostgreSQL table and on the in-memory store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest

from shared.privacy.data_keys import DataKeys, InMemoryKeyStore
from shared.privacy.key_store import KeyStore
from shared.privacy.master_keys import MasterKeys, new_master_key
from tests.contract.data_keys_contract import DataKeysContract


def both_implement_the_port(table: KeyStore, memory: InMemoryKeyStore) -> list[DataKeys]:
    """Checked by mypy: both hold keys as `DataKeys` says."""
    return [table, memory]


class TestInMemoryDataKeys(DataKeysContract):
    @pytest.fixture
    def keys(self) -> InMemoryKeyStore:
        return InMemoryKeyStore()


class TestPostgresDataKeys(DataKeysContract):
    @pytest.fixture
    async def keys(self, postgres: Any) -> AsyncIterator[KeyStore]:
        name = f"keys_{uuid4().hex[:10]}"
        await postgres.create_database(name)
        store = KeyStore(str(postgres.dsn(name)), MasterKeys.parse(new_master_key()))
        await store.open()
        yield store
        await store.close()
