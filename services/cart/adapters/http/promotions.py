"""`/v2/promotions`: standard promotions and their codes (admins only, as in Elastic Path)."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.cart.adapters.http.limits import MAX_CURRENCIES
from services.cart.adapters.http.presenters import code_document, promotion_document
from services.cart.adapters.http.requests import PromotionCodesRequest, PromotionRequest
from services.cart.application import promotions as commands
from services.cart.domain.events import PromotionDefined
from shared.auth import AdminToken
from shared.contracts.envelope import utc_now
from shared.eventstore.port import UnitOfWork
from shared.http.body import read_data, validate
from shared.http.errors import ApiError
from shared.http.openapi import PAGE_PARAMETERS, documented
from shared.http.paging import page_meta, paging
from shared.http.responses import JsonResponse
from shared.projections.listing import page_of_ids
from shared.service import database_of

router = APIRouter(tags=["promotions"])


def _promotion_id(value: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise ApiError(404, "Not Found", "The requested promotion could not be found") from None


def _refuse_settings_not_applied(body: PromotionRequest) -> None:
    """Elastic Path settings this service does not apply are refused, never stored and ignored."""
    if body.max_applications_per_cart not in (None, 0):
        raise ApiError(
            400,
            "Bad Request",
            "max_applications_per_cart limits item-level promotions, which this service does not"
            " offer; leave it out (or 0) for a cart-level promotion",
            source="data.max_applications_per_cart",
        )
    for key in body.schema_:
        if key != "currencies":
            raise ApiError(
                400,
                "Bad Request",
                f"schema.{key} is not supported: a cart-level promotion discounts the whole cart,"
                " and its schema holds only currencies",
                source=f"data.schema.{key}",
            )
    key = "amount" if body.promotion_type == "fixed_discount" else "percentage"
    currencies = body.schema_.get("currencies")
    for i, entry in enumerate(currencies if isinstance(currencies, list) else []):
        extra = sorted(set(entry) - {"currency", key}) if isinstance(entry, dict) else []
        if extra:
            raise ApiError(
                400,
                "Bad Request",
                f"A {body.promotion_type} currency entry holds only currency and {key}, not {extra[0]}",
                source=f"data.schema.currencies.{i}.{extra[0]}",
            )


def _definition(body: PromotionRequest) -> PromotionDefined:
    _refuse_settings_not_applied(body)
    currencies = body.schema_.get("currencies")
    if not isinstance(currencies, list) or not currencies or not all(isinstance(c, dict) for c in currencies):
        raise ApiError(
            400,
            "required",
            "schema.currencies must list the discount per currency",
            source="data.schema.currencies",
        )
    if len(currencies) > MAX_CURRENCIES:
        raise ApiError(
            400,
            "maxItems",
            f"schema.currencies may list at most {MAX_CURRENCIES} currencies",
            source="data.schema.currencies",
        )
    key = "amount" if body.promotion_type == "fixed_discount" else "percentage"
    for i, entry in enumerate(currencies):
        value = entry.get(key)
        if not isinstance(entry.get("currency"), str) or not isinstance(value, int | float) or value < 0:
            raise ApiError(
                400,
                "format",
                f"each currency needs a currency code and a non-negative {key}",
                source=f"data.schema.currencies.{i}",
            )
        if key == "amount" and not isinstance(value, int):
            raise ApiError(
                400,
                "type",
                "amount must be an integer in minor units",
                source=f"data.schema.currencies.{i}.amount",
            )
        if key == "percentage" and value > 100:
            raise ApiError(
                400, "range", "percentage must be at most 100", source=f"data.schema.currencies.{i}"
            )
    return PromotionDefined(
        name=body.name,
        description=body.description,
        enabled=body.enabled,
        automatic=body.automatic,
        promotion_type=body.promotion_type,
        promotion_schema=body.schema_,
        start=body.start,
        end=body.end,
        min_cart_value=[entry.model_dump() for entry in body.min_cart_value],
        max_discount_value=[entry.model_dump() for entry in body.max_discount_value],
        at=utc_now(),
    )


@router.post(
    "/v2/promotions", **documented(status=201, body=PromotionRequest, auth="admin", answers="The promotion")
)
async def create_promotion(request: Request, _: AdminToken) -> JsonResponse:
    definition = _definition(validate(PromotionRequest, await read_data(request)))
    promotion_id = str(uuid4())

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        promotion = await commands.define_promotion(uow, promotion_id, definition, create=True)
        return {"data": promotion_document(promotion)}

    return JsonResponse(await database_of(request).run(command), status_code=201)


@router.put(
    "/v2/promotions/{promotion_id}",
    **documented(body=PromotionRequest, auth="admin", answers="The promotion", not_found="No such promotion"),
)
async def update_promotion(promotion_id: str, request: Request, _: AdminToken) -> dict[str, Any]:
    definition = _definition(validate(PromotionRequest, await read_data(request)))
    pid = _promotion_id(promotion_id)

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        promotion = await commands.define_promotion(uow, pid, definition, create=False)
        return {"data": promotion_document(promotion)}

    result: dict[str, Any] = await database_of(request).run(command)
    return result


@router.get(
    "/v2/promotions/{promotion_id}",
    **documented(auth="admin", answers="The promotion", not_found="No such promotion"),
)
async def get_promotion(promotion_id: str, request: Request, _: AdminToken) -> dict[str, Any]:
    async with database_of(request).unit_of_work() as uow:
        promotion = await commands.load_live(uow, _promotion_id(promotion_id))
        return {"data": promotion_document(promotion)}


@router.get(
    "/v2/promotions", **documented(auth="admin", answers="A page of promotions", parameters=PAGE_PARAMETERS)
)
async def list_promotions(request: Request, _: AdminToken) -> dict[str, Any]:
    limit, offset = paging(request)
    ids, total = await page_of_ids(
        database_of(request).pool, "proj_promotions.promotions", "id", limit, offset
    )
    async with database_of(request).unit_of_work() as uow:
        documents = [promotion_document(await commands.load_live(uow, row_id)) for row_id in ids]
    return {"data": documents, **page_meta(request, limit, offset, total)}


@router.delete(
    "/v2/promotions/{promotion_id}",
    **documented(status=204, auth="admin", answers="Deleted", not_found="No such promotion"),
)
async def delete_promotion(promotion_id: str, request: Request, _: AdminToken) -> Response:
    pid = _promotion_id(promotion_id)
    await database_of(request).run(lambda uow: commands.delete_promotion(uow, pid))
    return Response(status_code=204)


@router.post(
    "/v2/promotions/{promotion_id}/codes",
    **documented(
        status=201,
        body=PromotionCodesRequest,
        auth="admin",
        answers="The codes added",
        not_found="No such promotion",
        conflict="A code exists already",
    ),
)
async def add_codes(promotion_id: str, request: Request, _: AdminToken) -> JsonResponse:
    body = validate(PromotionCodesRequest, await read_data(request))
    pid = _promotion_id(promotion_id)
    codes = [c.model_dump() for c in body.codes]

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        all_codes = await commands.add_codes(uow, pid, codes)
        return {"data": [code_document(c) for c in all_codes]}

    return JsonResponse(await database_of(request).run(command), status_code=201)


@router.get(
    "/v2/promotions/{promotion_id}/codes",
    **documented(auth="admin", answers="The promotion's codes", not_found="No such promotion"),
)
async def list_codes(promotion_id: str, request: Request, _: AdminToken) -> dict[str, Any]:
    async with database_of(request).unit_of_work() as uow:
        promotion = await commands.load_live(uow, _promotion_id(promotion_id))
        return {"data": [code_document(c) for c in promotion.codes.values()]}


@router.delete(
    "/v2/promotions/{promotion_id}/codes/{code_id}",
    **documented(status=204, auth="admin", answers="Deleted", not_found="No such promotion or code"),
)
async def delete_code(promotion_id: str, code_id: str, request: Request, _: AdminToken) -> Response:
    pid = _promotion_id(promotion_id)
    await database_of(request).run(lambda uow: commands.delete_code(uow, pid, code_id))
    return Response(status_code=204)
