"""Promotions: admin definitions and codes, with the code guard and the list of automatic ones."""

from __future__ import annotations

from typing import Any

from services.cart.application.ports import PROMOTION_INDEX
from services.cart.domain.errors import PromotionNotFound
from services.cart.domain.events import PromotionDefined
from services.cart.domain.promotion import Promotion, PromotionCode
from shared.contracts.envelope import utc_now
from shared.domain.errors import DomainError
from shared.eventstore.port import UnitOfWork


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
    """Keep the automatic list (what every cart prices with) in step with the definition, with the
    unit; refuse one automatic promotion too many (TooManyAutomaticPromotions), so a cart's price
    stays cheap to read."""
    d = promotion.definition
    index = uow.adapter(PROMOTION_INDEX)
    if d is None or not (d.automatic and d.enabled):
        await index.unlist_automatic(promotion.id)
    else:
        await index.list_automatic(promotion.id)


async def load_live(uow: UnitOfWork, promotion_id: str) -> Promotion:
    promotion = await uow.load(Promotion, promotion_id)
    if not promotion.live:
        raise DomainError("The requested promotion could not be found", status=404, title="Not Found")
    return promotion


async def add_codes(uow: UnitOfWork, promotion_id: str, codes: list[dict[str, Any]]) -> list[PromotionCode]:
    promotion = await load_live(uow, promotion_id)
    added = promotion.add_codes(codes, utc_now())
    index = uow.adapter(PROMOTION_INDEX)
    for code in added:
        await index.claim_code(code.code, promotion_id)  # DuplicateCode when another promotion has it
    return list(promotion.codes.values())


async def delete_code(uow: UnitOfWork, promotion_id: str, code_id: str) -> None:
    promotion = await load_live(uow, promotion_id)
    code = next((c for c in promotion.codes.values() if c.id == code_id), None)
    if code is None:
        raise PromotionNotFound()
    promotion.delete_code(code_id, utc_now())
    await uow.adapter(PROMOTION_INDEX).release_code(code.code)


async def delete_promotion(uow: UnitOfWork, promotion_id: str) -> None:
    promotion = await load_live(uow, promotion_id)
    promotion.delete(utc_now())
    await uow.adapter(PROMOTION_INDEX).release_promotion(promotion_id)
