"""Customer carts (carts-orders.yaml, Customer Cart Associations; ep-api.md §6, §12).

`POST`/`DELETE /v2/carts/{ref}/relationships/customers` bind a cart to a customer and free it, with
the customer's `X-Moltin-Customer-Token` (an admin needs none). The body is Elastic Path's array,
`{"data": [{"type": "customer", "id": ...}]}`: an object instead is 403 "Invalid json payload", a
type other than `customer` 400, more than one customer 403. `GET /v2/carts` lists the token's
customer's carts, most recently changed first, paginated.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services.cart.adapters.http.cart_access import CUSTOMER_TOKEN, access_of
from services.cart.adapters.http.documents import cart_reference
from services.cart.adapters.http.presenters import cart_document
from services.cart.application import cart_customers
from services.cart.application.lookups import price
from services.cart.domain.associations import ONE_CUSTOMER_ONLY
from shared.auth import AnyToken, CustomerToken
from shared.eventstore.port import UnitOfWork
from shared.http.body import read_json_body
from shared.http.errors import ApiError
from shared.http.openapi import PAGE_PARAMETERS, documented
from shared.http.paging import page_meta, paging
from shared.service import base_url, database_of

router = APIRouter(tags=["carts"])


class CustomerReference(BaseModel):
    type: str = Field(description="`customer`")
    id: str = Field(description="The customer's id")


class CustomerReferences(BaseModel):
    """Elastic Path's association body and answer: an array, even for the one customer a cart takes."""

    data: list[CustomerReference]


def _customer_id(body: Any) -> str:
    """The one customer id of an association body, or Elastic Path's error for it."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise ApiError(403, "Forbidden", "Invalid json payload", source="data")
    if len(data) > 1:
        raise ApiError(403, "Forbidden", ONE_CUSTOMER_ONLY, source="data")
    first = data[0] if data else None
    if not isinstance(first, dict) or first.get("type") != "customer":
        raise ApiError(
            400, "Bad Request", "The type does not exist or is not listed as customer", source="data.0.type"
        )
    customer_id = first.get("id")
    if not isinstance(customer_id, str) or not customer_id.strip() or len(customer_id) > 128:
        raise ApiError(400, "required", "The customer's id is required", source="data.0.id")
    return customer_id.strip()


@router.post(
    "/v2/carts/{ref}/relationships/customers",
    **documented(
        body=CustomerReferences,
        in_data_member=False,
        body_description="The one customer to associate, as an array (an object is 403 Invalid json payload)",
        parameters=[CUSTOMER_TOKEN],
        answers="The cart's customer; 403 when the token is not that customer's or the cart is another's",
        document=CustomerReferences,
        not_found="No such customer",
    ),
)
async def associate(ref: str, request: Request, principal: AnyToken) -> dict[str, Any]:
    cart_id = cart_reference(ref)
    customer_id = _customer_id(await read_json_body(request))
    access = access_of(request, principal)

    async def command(uow: UnitOfWork) -> None:
        await cart_customers.associate(uow, cart_id, customer_id, access)

    await database_of(request).run(command)
    return {"data": [{"type": "customer", "id": customer_id}]}


@router.delete(
    "/v2/carts/{ref}/relationships/customers",
    **documented(
        status=204,
        body=CustomerReferences,
        in_data_member=False,
        body_description="The customer to free the cart from, as an array",
        parameters=[CUSTOMER_TOKEN],
        answers="The cart is nobody's; 403 when it is another customer's",
    ),
)
async def dissociate(ref: str, request: Request, principal: AnyToken) -> Response:
    cart_id = cart_reference(ref)
    customer_id = _customer_id(await read_json_body(request))
    access = access_of(request, principal)

    async def command(uow: UnitOfWork) -> None:
        await cart_customers.dissociate(uow, cart_id, customer_id, access)

    await database_of(request).run(command)
    return Response(status_code=204)


@router.get(
    "/v2/carts",
    **documented(
        answers="The customer's carts, most recently changed first",
        parameters=[CUSTOMER_TOKEN, *PAGE_PARAMETERS],
    ),
)
async def list_carts(request: Request, _: AnyToken, customer: CustomerToken) -> dict[str, Any]:
    """The carts the projection says are the customer's, each read from its stream (one freed since
    is left out), sorted by their latest change and paged."""
    limit, offset = paging(request)
    async with database_of(request).unit_of_work() as uow:
        carts = await cart_customers.carts_of(uow, customer.customer_id)
        carts.sort(key=lambda cart: (cart.updated_at is not None, cart.updated_at, cart.id), reverse=True)
        page = carts[offset : offset + limit]
        documents = [cart_document(cart, await price(uow, cart), base_url(request)) for cart in page]
    return {"data": documents, **page_meta(request, limit, offset, len(carts))}
