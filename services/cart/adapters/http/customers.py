"""`/v2/customers`: registration, password tokens, and reads (admins, or the customer themself).

Passwords are hashed and checked on the app's `PasswordHasher` (off the event loop), and sign-ins
are limited per email by its `SignInThrottle`; the gateway limits both routes per client address.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Request

from services.cart.adapters.http.presenters import customer_document
from services.cart.adapters.http.requests import CustomerRequest, CustomerTokenRequest
from services.cart.adapters.http.sign_in_throttle import SignInThrottle
from services.cart.adapters.password_hasher import PasswordHasher
from services.cart.application.customers import authenticate, register_customer
from services.cart.domain.customer import Customer, CustomerNotFound
from services.cart.domain.email import is_valid_email
from shared.auth import AdminToken, AnyToken, issue_customer_token, optional_customer
from shared.auth.dependencies import settings_of
from shared.auth.routes import NO_STORE
from shared.eventstore.unit_of_work import UnitOfWork
from shared.http.body import read_data, validate
from shared.http.errors import ApiError
from shared.http.openapi import PAGE_PARAMETERS, documented
from shared.http.paging import page_meta, paging
from shared.http.responses import JsonResponse
from shared.projections.listing import page_of_ids
from shared.service import database_of

router = APIRouter(tags=["customers"])


def password_hasher_of(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.password_hasher
    return hasher


def sign_in_throttle_of(request: Request) -> SignInThrottle:
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    return throttle


@router.post(
    "/v2/customers",
    **documented(
        status=201,
        body=CustomerRequest,
        answers="The customer",
        conflict="The email is registered already",
        too_many="Too many password checks in progress (the gateway also limits each client)",
    ),
)
async def create_customer(request: Request, _: AnyToken) -> JsonResponse:
    body = validate(CustomerRequest, await read_data(request))
    if not is_valid_email(body.email):
        raise ApiError(400, "format", "Does not match format 'email", source="data.email")
    customer_id = str(uuid4())
    password_hash = await password_hasher_of(request).hash(body.password) if body.password else None

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        customer = await register_customer(
            uow, customer_id, body.name, body.email, password_hash, body.external_ref
        )
        return {"data": customer_document(customer)}

    return JsonResponse(await database_of(request).run(command), status_code=201)


@router.post(
    "/v2/customers/tokens",
    **documented(
        body=CustomerTokenRequest,
        answers="A customer token (send it as X-Moltin-Customer-Token)",
        too_many="Too many sign-in attempts for this email, or password checks in progress",
    ),
)
async def customer_token(request: Request, _: AnyToken) -> JsonResponse:
    body = validate(CustomerTokenRequest, await read_data(request))
    sign_in_throttle_of(request).attempt(body.email)
    check = password_hasher_of(request).verify
    customer = await authenticate(database_of(request), body.email, body.password, check)
    token, expires = issue_customer_token(customer.id, settings_of(request))
    document = {
        "data": {
            "type": "token",
            "id": str(uuid4()),
            "customer_id": customer.id,
            "token": token,
            "expires": expires,
        }
    }
    return JsonResponse(document, headers=NO_STORE)  # a credential: never kept by a cache


@router.get(
    "/v2/customers/{customer_id}",
    **documented(answers="The customer", not_found="No such customer (or not the caller's)"),
)
async def get_customer(customer_id: str, request: Request, principal: AnyToken) -> dict[str, Any]:
    customer_token_holder = optional_customer(request)
    if not principal.is_admin and (
        customer_token_holder is None or customer_token_holder.customer_id != customer_id
    ):
        raise ApiError(403, "Forbidden", "Only an admin or the customer themself may read a customer")
    try:
        UUID(customer_id)
    except ValueError:
        raise CustomerNotFound(customer_id) from None
    async with database_of(request).unit_of_work() as uow:
        customer = await uow.load(Customer, customer_id)
    if not customer.registered:
        raise CustomerNotFound(customer_id)
    return {"data": customer_document(customer)}


@router.get(
    "/v2/customers", **documented(auth="admin", answers="A page of customers", parameters=PAGE_PARAMETERS)
)
async def list_customers(request: Request, _: AdminToken) -> dict[str, Any]:
    limit, offset = paging(request)
    ids, total = await page_of_ids(database_of(request).pool, "proj_customers.customers", "id", limit, offset)
    async with database_of(request).unit_of_work() as uow:
        documents = [customer_document(await uow.load(Customer, row_id)) for row_id in ids]
    return {"data": documents, **page_meta(request, limit, offset, total)}
