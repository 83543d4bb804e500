"""Promotions: admin definitions and codes, with the code guard."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.cart.domain.errors import PromotionNotFound
from services.cart.domain.events import PromotionDefined
from services.cart.domain.promotion import Promotion, PromotionCode
from shared.contracts.envelope import utc_now
from shared.domain.errors import DomainError
from shared.eventstore.unit_of_work import UnitOfWork


async def define_promotion(
    uow: UnitOfWork, promotion_id: str, definition: PromotionDefined, *, create: bool
) -> Promotion:
    promotion = await uow.load(Promotion, promotion_id)
    if create and promotion.exists:
        raise DomainError("A promotion with this id already exists", status=409, title="Conflict")
    if not create and not promotion.live:
        raise DomainError("The requested promotion could not be found", status=404, title="Not Found")
    promotion.define(definition)
    return promotion


async def load_live(uow: UnitOfWork, promotion_id: str) -> Promotion:
    promotion = await uow.load(Promotion, promotion_id)
    if not promotion.live:
        raise DomainError("The requested promotion could not be found", status=404, title="Not Found")
    return promotion


async def add_codes(uow: UnitOfWork, promotion_id: str, codes: list[dict[str, Any]]) -> list[PromotionCode]:
    promotion = await load_live(uow, promotion_id)
    added = promotion.add_codes(codes, utc_now())
    for code in added:
        try:
            async with uow.connection.transaction():
                await uow.connection.execute(
                    "INSERT INTO promotion_codes (code, promotion_id) VALUES ($1, $2)",
                    code.code.lower(),
                    promotion_id,
                )
        except asyncpg.UniqueViolationError:
            raise DomainError(
                f"The code {code.code!r} is already used by another promotion",
                status=409,
                title="Duplicate code",
                source="data.codes",
            ) from None
    return list(promotion.codes.values())


async def delete_code(uow: UnitOfWork, promotion_id: str, code_id: str) -> None:
    promotion = await load_live(uow, promotion_id)
    code = next((c for c in promotion.codes.values() if c.id == code_id), None)
    if code is None:
        raise PromotionNotFound()
    promotion.delete_code(code_id, utc_now())
    await uow.connection.execute("DELETE FROM promotion_codes WHERE code = $1", code.code.lower())


async def delete_promotion(uow: UnitOfWork, promotion_id: str) -> None:
    promotion = await load_live(uow, promotion_id)
    promotion.delete(utc_now())
    await uow.connection.execute("DELETE FROM promotion_codes WHERE promotion_id = $1", promotion_id)
