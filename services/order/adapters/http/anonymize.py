"""`POST /v2/orders/anonymize` (admin): Elastic Path's erasure of orders' personal data.

Body `{"data": {"order_ids": [...]}}`; each order must be fulfilled, cancelled or fully refunded
(else 422 "Could not anonymize orders", nothing done). The customer and addresses then read as `*`
and the order as `anonymized: true`, here and in every other service, because the one key they
were sealed under is destroyed (shared/privacy). Answers the orders as they now read.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from services.order.adapters.http.documents import view_document
from services.order.adapters.http.readable_orders import readable
from services.order.application.anonymising import destroy_keys, mark_anonymised
from services.order.application.reading import view_of
from shared.auth import AdminToken
from shared.eventstore.port import UnitOfWork
from shared.http.body import read_data, validate
from shared.http.errors import ApiError
from shared.http.openapi import documented
from shared.privacy.lifespan import personal_data_of
from shared.service import database_of

router = APIRouter(tags=["orders"])


class AnonymizeRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    order_ids: list[str] = Field(min_length=1, max_length=100)


@router.post(
    "/v2/orders/anonymize",
    **documented(
        body=AnonymizeRequest,
        auth="admin",
        answers="The orders, anonymized",
        not_found="An order does not exist",
        unprocessable="An order is not fulfilled, cancelled or fully refunded (`meta.order_id`)",
    ),
)
async def anonymize(request: Request, _: AdminToken) -> dict[str, Any]:
    body = validate(AnonymizeRequest, await read_data(request))
    personal = personal_data_of(request)
    if not personal.enabled:
        raise ApiError(
            501,
            "Not Implemented",
            "Personal data is not encrypted on this deployment (PII_MASTER_KEY unset): it cannot be erased",
        )

    async def run(uow: UnitOfWork) -> list[Any]:
        return [view_of(order) for order in await mark_anonymised(uow, body.order_ids)]

    views = await database_of(request).run(run)
    await destroy_keys(personal, body.order_ids)
    return {"data": [view_document(view) for view in await readable(request, views)]}
