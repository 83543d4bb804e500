"""What the cart's own tables keep behind their ports (`services/cart/application/ports.py`),
whatever adapter is behind them: the contract suite of the cart's tables.

Run against PostgreSQL's adapters (test_cart_tables.py, `TestPostgresCartTables`) and the in-memory
ones (`TestInMemoryCartTables`), so the fast tier's handler tests (tests/fast/test_cart_*.py) can be
believed: a claim is one owner's, a clash raises the handler's domain error, a unit that fails
writes nothing, the automatic list is never overfilled, stock and the list are read together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol, TypeVar

import pytest

from services.cart.application.ports import (
    EMAIL_CLAIMS,
    PROMOTION_INDEX,
    SKU_CLAIMS,
    STOCK_AND_PROMOTIONS,
    STOCK_LEVELS,
)
from services.cart.domain.errors import (
    MAX_AUTOMATIC_PROMOTIONS,
    DuplicateCode,
    DuplicateEmail,
    DuplicateSku,
    TooManyAutomaticPromotions,
)
from shared.eventstore.port import UnitOfWork

T = TypeVar("T")


class Backend(Protocol):
    database: Any  # run(command), with the cart's adapters provided


class Refused(Exception):
    """Fails a unit after its writes."""


async def _claim_email(uow: UnitOfWork, *, customer_id: str, claim: str) -> None:
    await uow.adapter(EMAIL_CLAIMS).claim(customer_id, claim)


async def _claim_code(uow: UnitOfWork, *, code: str, promotion_id: str) -> None:
    await uow.adapter(PROMOTION_INDEX).claim_code(code, promotion_id)


async def _list_automatic(uow: UnitOfWork, *, promotion_id: str) -> None:
    await uow.adapter(PROMOTION_INDEX).list_automatic(promotion_id)


async def _record_level(uow: UnitOfWork, *, product_id: str, level: tuple[int, bool, int]) -> None:
    await uow.adapter(STOCK_LEVELS).record(product_id, *level)


async def _levels(uow: UnitOfWork, *, product_ids: list[str]) -> dict[str, int | None]:
    return await uow.adapter(STOCK_AND_PROMOTIONS).levels(product_ids)


class CartTablesContract:
    async def run(self, backend: Backend, command: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        result: T = await backend.database.run(command)
        return result

    async def record_level(
        self, backend: Backend, product_id: str, available: int, managed: bool, version: int
    ) -> None:
        """What the consumer of inventory's `StockLevelChanged` does."""
        level = partial(_record_level, product_id=product_id, level=(available, managed, version))
        await self.run(backend, level)

    async def levels(self, backend: Backend, *product_ids: str) -> dict[str, int | None]:
        reading = partial(_levels, product_ids=list(product_ids))
        return await self.run(backend, reading)

    async def test_the_newest_stock_level_is_kept_and_a_late_or_repeated_one_changes_nothing(
        self, backend: Backend
    ) -> None:
        await self.record_level(backend, "p-1", 5, True, 2)
        assert await self.levels(backend, "p-1") == {"p-1": 5}
        await self.record_level(backend, "p-1", 9, True, 1)  # late: an older level
        await self.record_level(backend, "p-1", 7, True, 2)  # the same version again
        assert await self.levels(backend, "p-1") == {"p-1": 5}
        await self.record_level(backend, "p-1", 3, False, 3)  # inventory stopped managing it
        assert await self.levels(backend, "p-1", "p-2") == {"p-1": None}

    async def test_a_stock_level_in_a_failed_unit_is_not_kept(self, backend: Backend) -> None:
        async def records_then_fails(uow: UnitOfWork) -> None:
            await uow.adapter(STOCK_LEVELS).record("p-1", 5, True, 1)
            raise Refused

        with pytest.raises(Refused):
            await self.run(backend, records_then_fails)
        assert await self.levels(backend, "p-1") == {}

    async def test_a_sku_names_one_product_and_moves_with_it(self, backend: Backend) -> None:
        await self.run(backend, lambda uow: uow.adapter(SKU_CLAIMS).claim("p-1", "shoe"))
        with pytest.raises(DuplicateSku):
            await self.run(backend, lambda uow: uow.adapter(SKU_CLAIMS).claim("p-2", "shoe"))
        await self.run(backend, lambda uow: uow.adapter(SKU_CLAIMS).claim("p-1", "shoe"))  # its own: again
        await self.run(backend, lambda uow: uow.adapter(SKU_CLAIMS).claim("p-1", "boot"))
        assert await self.run(backend, lambda uow: uow.adapter(SKU_CLAIMS).product_of("shoe")) is None
        await self.run(backend, lambda uow: uow.adapter(SKU_CLAIMS).claim("p-2", "shoe"))
        await self.run(backend, lambda uow: uow.adapter(SKU_CLAIMS).release("p-1"))
        assert await self.run(backend, lambda uow: uow.adapter(SKU_CLAIMS).product_of("boot")) is None
        assert await self.run(backend, lambda uow: uow.adapter(SKU_CLAIMS).product_of("shoe")) == "p-2"

    async def test_a_unit_sees_its_own_claims_and_a_failed_one_leaves_none(self, backend: Backend) -> None:
        async def claims_then_fails(uow: UnitOfWork) -> None:
            claims = uow.adapter(SKU_CLAIMS)
            await claims.claim("p-1", "shoe")
            assert await claims.product_of("shoe") == "p-1"
            with pytest.raises(DuplicateSku):
                await claims.claim("p-2", "shoe")
            await uow.adapter(EMAIL_CLAIMS).claim("cu-1", "ann@example.com")
            raise Refused

        with pytest.raises(Refused):
            await self.run(backend, claims_then_fails)
        assert await self.run(backend, lambda uow: uow.adapter(SKU_CLAIMS).product_of("shoe")) is None
        assert (
            await self.run(backend, lambda uow: uow.adapter(EMAIL_CLAIMS).customer_of("ann@example.com"))
            is None
        )

    async def test_an_email_is_one_customer_s_and_a_customer_holds_one(self, backend: Backend) -> None:
        await self.run(backend, lambda uow: uow.adapter(EMAIL_CLAIMS).claim("cu-1", "ann@example.com"))
        for customer_id, claim in (("cu-2", "ann@example.com"), ("cu-1", "other@example.com")):
            with pytest.raises(DuplicateEmail):
                await self.run(backend, partial(_claim_email, customer_id=customer_id, claim=claim))
        await self.run(backend, lambda uow: uow.adapter(EMAIL_CLAIMS).claim("cu-2", "ben@example.com"))
        with pytest.raises(DuplicateEmail):  # another's: the old claim is kept
            await self.run(backend, lambda uow: uow.adapter(EMAIL_CLAIMS).reclaim("cu-2", "ann@example.com"))
        assert (
            await self.run(backend, lambda uow: uow.adapter(EMAIL_CLAIMS).customer_of("ben@example.com"))
            == "cu-2"
        )
        await self.run(backend, lambda uow: uow.adapter(EMAIL_CLAIMS).reclaim("cu-1", "ann@pawnee.gov"))
        assert (
            await self.run(backend, lambda uow: uow.adapter(EMAIL_CLAIMS).customer_of("ann@example.com"))
            is None
        )
        await self.run(backend, lambda uow: uow.adapter(EMAIL_CLAIMS).release("cu-1"))
        assert (
            await self.run(backend, lambda uow: uow.adapter(EMAIL_CLAIMS).customer_of("ann@pawnee.gov"))
            is None
        )
        await self.run(backend, lambda uow: uow.adapter(EMAIL_CLAIMS).claim("cu-3", "ann@pawnee.gov"))

    async def test_a_code_is_one_promotion_s_in_any_case(self, backend: Backend) -> None:
        await self.run(backend, lambda uow: uow.adapter(PROMOTION_INDEX).claim_code("SAVE", "promo-1"))
        await self.run(backend, lambda uow: uow.adapter(PROMOTION_INDEX).claim_code("more", "promo-1"))
        for promotion_id in ("promo-2", "promo-1"):
            with pytest.raises(DuplicateCode):
                await self.run(backend, partial(_claim_code, code="save", promotion_id=promotion_id))
        assert (
            await self.run(backend, lambda uow: uow.adapter(PROMOTION_INDEX).promotion_of("sAvE"))
            == "promo-1"
        )
        await self.run(backend, lambda uow: uow.adapter(PROMOTION_INDEX).release_code("Save"))
        assert await self.run(backend, lambda uow: uow.adapter(PROMOTION_INDEX).promotion_of("save")) is None
        await self.run(backend, lambda uow: uow.adapter(PROMOTION_INDEX).release_promotion("promo-1"))
        assert await self.run(backend, lambda uow: uow.adapter(PROMOTION_INDEX).promotion_of("more")) is None

    async def test_the_automatic_list_is_never_overfilled_and_read_with_stock(self, backend: Backend) -> None:
        for n in range(MAX_AUTOMATIC_PROMOTIONS):
            await self.run(backend, partial(_list_automatic, promotion_id=f"auto-{n}"))
        await self.run(
            backend, lambda uow: uow.adapter(PROMOTION_INDEX).list_automatic("auto-0")
        )  # listed: fits
        with pytest.raises(TooManyAutomaticPromotions):
            await self.run(backend, lambda uow: uow.adapter(PROMOTION_INDEX).list_automatic("one-too-many"))
        await self.run(backend, lambda uow: uow.adapter(PROMOTION_INDEX).unlist_automatic("auto-1"))
        await self.run(backend, lambda uow: uow.adapter(PROMOTION_INDEX).release_promotion("auto-2"))
        await self.run(backend, lambda uow: uow.adapter(PROMOTION_INDEX).list_automatic("one-too-many"))

        await self.record_level(backend, "p-1", 4, True, 1)
        await self.record_level(backend, "p-2", 9, False, 1)
        listed, levels = await self.run(
            backend, lambda uow: uow.adapter(STOCK_AND_PROMOTIONS).levels_and_automatic(["p-1", "p-2", "p-3"])
        )
        expected = {f"auto-{n}" for n in range(MAX_AUTOMATIC_PROMOTIONS)} - {"auto-1", "auto-2"} | {
            "one-too-many"
        }
        assert set(listed) == expected and len(listed) == MAX_AUTOMATIC_PROMOTIONS - 1
        assert levels == {"p-1": 4, "p-2": None}  # p-3: no level recorded
        assert await self.run(
            backend, lambda uow: uow.adapter(STOCK_AND_PROMOTIONS).levels(["p-2", "p-3"])
        ) == {"p-2": None}
        listed, levels = await self.run(
            backend, lambda uow: uow.adapter(STOCK_AND_PROMOTIONS).levels_and_automatic([])
        )
        assert len(listed) == MAX_AUTOMATIC_PROMOTIONS - 1 and levels == {}
