"""`/v2/customers/{id}/addresses`: a customer's saved addresses (Elastic Path's Addresses API).

The customer (their `X-Moltin-Customer-Token` beside the implicit token) or an admin lists, adds,
reads, changes and deletes them; another customer's token is refused. Every change is an event on
the customer's stream, and reads replay that stream, so a shopper reads what they just saved.
A saved address carries every field a checkout's billing or shipping address needs, so the
storefront can send it as it came (`type`, `id`, `meta` and `links` are ignored by the checkout).
Every field is recorded sealed under the customer's key and opened for the answer (`customer_privacy`).
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from services.cart.adapters.http.customer_access import require_customer_or_admin
from services.cart.adapters.http.customer_requests import AddressRequest, AddressUpdateRequest
from services.cart.adapters.http.presenters import iso
from services.cart.application.customer_addresses import (
    add_address,
    registered_customer,
    remove_address,
    update_address,
)
from services.cart.application.customer_privacy import (
    Transform,
    address_transformed,
    customer_keys,
    customers_opener,
)
from services.cart.domain.customer_address import AddressFields, AddressNotFound, SavedAddress
from shared.auth import AnyToken
from shared.eventstore.port import UnitOfWork
from shared.http.body import read_data, validate
from shared.http.links import base_url
from shared.http.openapi import PAGE_PARAMETERS, documented
from shared.http.paging import page_meta, paging
from shared.http.responses import JsonResponse
from shared.privacy.lifespan import personal_data_of
from shared.service import database_of

router = APIRouter(tags=["customer addresses"])

PATH = "/v2/customers/{customer_id}/addresses"


class Timestamps(BaseModel):
    created_at: str
    updated_at: str


class AddressMeta(BaseModel):
    timestamps: Timestamps


class AddressResource(AddressFields):
    """A saved address as answered: its fields, `type` "address", `id`, `meta` and a `self` link."""

    type: Literal["address"]
    id: str
    meta: AddressMeta
    links: dict[str, str]


class AddressDocument(BaseModel):
    data: AddressResource


class AddressListDocument(BaseModel):
    data: list[AddressResource]
    links: dict[str, Any]
    meta: dict[str, Any]


def address_document(
    request: Request, customer_id: str, address: SavedAddress, open_: Transform
) -> dict[str, Any]:
    """`open_` opens the sealed fields."""
    return {
        "type": "address",
        "id": address.id,
        **address_transformed(address.fields, open_).model_dump(),
        "meta": {
            "timestamps": {"created_at": iso(address.created_at), "updated_at": iso(address.updated_at)}
        },
        "links": {"self": f"{base_url(request)}/v2/customers/{customer_id}/addresses/{address.id}"},
    }


def address_id_of(address_id: str) -> str:
    """Address ids are UUIDs: anything else names no address (404, not a 500 or a 400)."""
    try:
        UUID(address_id)
    except ValueError:
        raise AddressNotFound(address_id) from None
    return address_id


@router.get(
    PATH,
    **documented(
        answers="The customer's addresses, oldest first",
        document=AddressListDocument,
        parameters=PAGE_PARAMETERS,
        not_found="No such customer",
    ),
)
async def list_addresses(customer_id: str, request: Request, principal: AnyToken) -> dict[str, Any]:
    require_customer_or_admin(principal, request, customer_id)
    limit, offset = paging(request)
    async with database_of(request).unit_of_work() as uow:
        customer = await registered_customer(uow, customer_id)
    saved = list(customer.addresses.values())
    open_ = await customers_opener(personal_data_of(request), [customer])
    page = [address_document(request, customer_id, a, open_) for a in saved[offset : offset + limit]]
    return {"data": page, **page_meta(request, limit, offset, len(saved))}


@router.post(
    PATH,
    **documented(
        status=201,
        body=AddressRequest,
        answers="The saved address",
        document=AddressDocument,
        not_found="No such customer",
        unprocessable="The customer keeps the most addresses allowed already",
    ),
)
async def create_address(customer_id: str, request: Request, principal: AnyToken) -> JsonResponse:
    require_customer_or_admin(principal, request, customer_id)
    body = validate(AddressRequest, await read_data(request))
    fields = AddressFields.model_validate(body.model_dump(exclude={"type", "id"}))
    address_id = str(uuid4())
    keys = await customer_keys(personal_data_of(request), customer_id)

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        saved = await add_address(uow, keys, customer_id, address_id, fields)
        return {"data": address_document(request, customer_id, saved, keys.open)}

    return JsonResponse(await database_of(request).run(command), status_code=201)


@router.get(
    PATH + "/{address_id}",
    **documented(answers="The address", document=AddressDocument, not_found="No such customer or address"),
)
async def get_address(
    customer_id: str, address_id: str, request: Request, principal: AnyToken
) -> dict[str, Any]:
    require_customer_or_admin(principal, request, customer_id)
    async with database_of(request).unit_of_work() as uow:
        customer = await registered_customer(uow, customer_id)
    saved = customer.address(address_id_of(address_id))
    open_ = await customers_opener(personal_data_of(request), [customer])
    return {"data": address_document(request, customer_id, saved, open_)}


@router.put(
    PATH + "/{address_id}",
    **documented(
        body=AddressUpdateRequest,
        answers="The address as changed (members not sent keep their values)",
        document=AddressDocument,
        not_found="No such customer or address",
    ),
)
async def change_address(
    customer_id: str, address_id: str, request: Request, principal: AnyToken
) -> dict[str, Any]:
    require_customer_or_admin(principal, request, customer_id)
    address_id_of(address_id)
    body = validate(AddressUpdateRequest, await read_data(request))
    changes = body.model_dump(include=body.model_fields_set - {"type", "id"}, exclude_none=True)
    keys = await customer_keys(personal_data_of(request), customer_id)

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        saved = await update_address(uow, keys, customer_id, address_id, changes)
        return {"data": address_document(request, customer_id, saved, keys.open)}

    return await database_of(request).run(command)


@router.delete(
    PATH + "/{address_id}",
    **documented(status=204, answers="Deleted", not_found="No such customer or address"),
)
async def delete_address(
    customer_id: str, address_id: str, request: Request, principal: AnyToken
) -> Response:
    require_customer_or_admin(principal, request, customer_id)
    address_id_of(address_id)

    async def command(uow: UnitOfWork) -> None:
        await remove_address(uow, customer_id, address_id)

    await database_of(request).run(command)
    return Response(status_code=204)
