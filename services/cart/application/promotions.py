"""Promotions: admin definitions and codes, with the code guard and the list of automatic ones."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.cart.domain.errors import PromotionNotFound
from services.cart.domain.events import PromotionDefined
from services.cart.domain.promotion import Promotion, PromotionCode
from shared.contracts.envelope import utc_now
from shared.domain.errors import DomainError
from shared.eventstore.port import UnitOfWork

MAX_AUTOMATIC_PROMOTIONS = 20
"""Enabled automatic promotions at once: every cart loads each of them whenever it is priced."""
_AUTOMATIC_LIST_LOCK = 7_351_101  # advisory lock id: two admins cannot both take the last place


async def define_promotion(
    uow: UnitOfWork, promotion_id: str, definition: PromotionDefined, *, create: bool
) -> Promotion:
    promotion = await uow.load(Promotion, promotion_id)
    if create and promotion.exists:
        raise DomainError("A promotion with this id already exists", status=409, title="Conflict")
    if not create and not promotion.live:
        raise DomainError("The requested promotion could not be found", status=404, title="Not Found")
    promotion.define(definition)
    await _list_if_automatic(uow, promotion)
    return promotion


async def _list_if_automatic(uow: UnitOfWork, promotion: Promotion) -> None:
    """Keep `automatic_promotions` (what every cart prices with) in step with the definition, in the
    same transaction; refuse one automatic promotion too many, so a cart's price stays cheap to read."""
    d = promotion.definition
    if d is None or not (d.automatic and d.enabled):
        await uow.connection.execute("DELETE FROM automatic_promotions WHERE promotion_id = $1", promotion.id)
        return
    await uow.connection.execute("SELECT pg_advisory_xact_lock($1)", _AUTOMATIC_LIST_LOCK)  # exact count
    others = await uow.connection.fetchval(
        "SELECT count(*) FROM automatic_promotions WHERE promotion_id <> $1", promotion.id
    )
    if others >= MAX_AUTOMATIC_PROMOTIONS:
        raise DomainError(
            f"At most {MAX_AUTOMATIC_PROMOTIONS} enabled automatic promotions can exist at once;"
            " disable or delete one first",
            status=422,
            title="Too many automatic promotions",
            source="data.automatic",
        )
    await uow.connection.execute(
        "INSERT INTO automatic_promotions (promotion_id) VALUES ($1) ON CONFLICT DO NOTHING", promotion.id
    )


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
    await uow.connection.execute("DELETE FROM automatic_promotions WHERE promotion_id = $1", promotion_id)
