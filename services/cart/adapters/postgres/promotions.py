"""Promotion codes and the automatic list in `promotion_codes` and `automatic_promotions`, written
in the unit's transaction."""

from __future__ import annotations

import asyncpg

from services.cart.domain.errors import MAX_AUTOMATIC_PROMOTIONS, DuplicateCode, TooManyAutomaticPromotions
from shared.eventstore.port import UnitOfWork

AUTOMATIC_LIST_LOCK = 7_351_101
"""Advisory lock id held while the automatic list is counted: two admins cannot both take the last place."""


class PostgresPromotionIndex:
    """`ports.PromotionIndex`: codes in lower case (primary key), the automatic list by id."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def claim_code(self, code: str, promotion_id: str) -> None:
        connection = self._uow.connection
        try:
            async with connection.transaction():  # a savepoint: a clash must not poison the unit of work
                await connection.execute(
                    "INSERT INTO promotion_codes (code, promotion_id) VALUES ($1, $2)",
                    code.lower(),
                    promotion_id,
                )
        except asyncpg.UniqueViolationError:
            raise DuplicateCode(code) from None

    async def release_code(self, code: str) -> None:
        await self._uow.connection.execute("DELETE FROM promotion_codes WHERE code = $1", code.lower())

    async def promotion_of(self, code: str) -> str | None:
        promotion_id: str | None = await self._uow.reads.fetchval(
            "SELECT promotion_id FROM promotion_codes WHERE code = $1", code.lower()
        )
        return promotion_id

    async def list_automatic(self, promotion_id: str) -> None:
        connection = self._uow.connection
        await connection.execute("SELECT pg_advisory_xact_lock($1)", AUTOMATIC_LIST_LOCK)  # an exact count
        others = await connection.fetchval(
            "SELECT count(*) FROM automatic_promotions WHERE promotion_id <> $1", promotion_id
        )
        if others >= MAX_AUTOMATIC_PROMOTIONS:
            raise TooManyAutomaticPromotions()
        await connection.execute(
            "INSERT INTO automatic_promotions (promotion_id) VALUES ($1) ON CONFLICT DO NOTHING", promotion_id
        )

    async def unlist_automatic(self, promotion_id: str) -> None:
        await self._uow.connection.execute(
            "DELETE FROM automatic_promotions WHERE promotion_id = $1", promotion_id
        )

    async def release_promotion(self, promotion_id: str) -> None:
        await self._uow.connection.execute(
            "DELETE FROM promotion_codes WHERE promotion_id = $1", promotion_id
        )
        await self._uow.connection.execute(
            "DELETE FROM automatic_promotions WHERE promotion_id = $1", promotion_id
        )
