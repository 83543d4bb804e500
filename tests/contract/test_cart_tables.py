"""The cart tables' contract suite (cart_tables_contract.py) on PostgreSQL's adapters and on the
in-memory ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.cart.adapters.in_memory import CartTables, provide_in_memory_tables
from services.cart.adapters.postgres import provide_postgres_tables
from services.cart.adapters.tables import CART_DDL
from shared.eventstore.database import migrate
from shared.eventstore.in_memory import InMemoryDatabase
from shared.eventstore.unit_of_work import Database
from tests.contract.cart_tables_contract import CartTablesContract
from tests.support.databases import fresh_database


class InMemoryBackend:
    def __init__(self) -> None:
        self.database = InMemoryDatabase(producer="cart")
        self.tables: CartTables = provide_in_memory_tables(self.database)


class PostgresBackend:
    def __init__(self, database: Database) -> None:
        self.database = database
        provide_postgres_tables(database.adapters)


class TestInMemoryCartTables(CartTablesContract):
    @pytest.fixture
    def backend(self) -> InMemoryBackend:
        return InMemoryBackend()


class TestPostgresCartTables(CartTablesContract):
    @pytest.fixture
    async def backend(self, postgres: Any) -> AsyncIterator[PostgresBackend]:
        async with fresh_database(postgres, "cart-tables", max_size=4) as database:
            await migrate(database.pool, CART_DDL)
            yield PostgresBackend(database)
