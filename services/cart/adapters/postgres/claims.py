"""Sku and email claims in `product_skus` and `customer_emails`: written in the unit's transaction,
so two writers can never both win; a clash is caught in a savepoint, so it does not poison the unit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import asyncpg

from services.cart.domain.errors import DuplicateEmail, DuplicateSku
from shared.domain.errors import DomainError
from shared.eventstore.database import DbConnection
from shared.eventstore.port import UnitOfWork


@asynccontextmanager
async def _clash_raises(connection: DbConnection, clash: Callable[[], DomainError]) -> AsyncIterator[None]:
    """Run the block in a savepoint, so that a unique violation (the key is someone else's) does
    not poison the unit of work; it surfaces as the domain's `clash` error instead."""
    try:
        async with connection.transaction():
            yield
    except asyncpg.UniqueViolationError:
        raise clash() from None


class PostgresSkuClaims:
    """`ports.SkuClaims` on `product_skus` (sku primary key, product_id unique)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def claim(self, product_id: str, sku: str) -> None:
        connection = self._uow.connection
        await connection.execute(
            "DELETE FROM product_skus WHERE product_id = $1 AND sku <> $2", product_id, sku
        )
        async with _clash_raises(connection, lambda: DuplicateSku(sku)):
            await connection.execute(
                "INSERT INTO product_skus (sku, product_id) VALUES ($1, $2)"
                " ON CONFLICT (product_id) DO UPDATE"
                " SET sku = EXCLUDED.sku",
                sku,
                product_id,
            )

    async def release(self, product_id: str) -> None:
        await self._uow.connection.execute("DELETE FROM product_skus WHERE product_id = $1", product_id)

    async def product_of(self, sku: str) -> str | None:
        product_id: str | None = await self._uow.reads.fetchval(
            "SELECT product_id FROM product_skus WHERE sku = $1", sku
        )
        return product_id


class PostgresEmailClaims:
    """`ports.EmailClaims` on `customer_emails` (email primary key, customer_id unique)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def claim(self, customer_id: str, email_claim: str) -> None:
        connection = self._uow.connection
        async with _clash_raises(connection, DuplicateEmail):
            await connection.execute(
                "INSERT INTO customer_emails (email, customer_id) VALUES ($1, $2)", email_claim, customer_id
            )

    async def reclaim(self, customer_id: str, email_claim: str) -> None:
        connection = self._uow.connection
        async with _clash_raises(connection, DuplicateEmail):
            await connection.execute("DELETE FROM customer_emails WHERE customer_id = $1", customer_id)
            await connection.execute(
                "INSERT INTO customer_emails (email, customer_id) VALUES ($1, $2)", email_claim, customer_id
            )

    async def release(self, customer_id: str) -> None:
        await self._uow.connection.execute("DELETE FROM customer_emails WHERE customer_id = $1", customer_id)

    async def customer_of(self, email_claim: str) -> str | None:
        customer_id: str | None = await self._uow.reads.fetchval(
            "SELECT customer_id FROM customer_emails WHERE email = $1", email_claim
        )
        return customer_id
