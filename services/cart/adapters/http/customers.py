"""`/v2/customers`: registration, password tokens, reads and changes (admins, or the customer
themself), and deletion (admins; the customer's tokens are revoked on every service).

Passwords are hashed and checked on the app's `PasswordHasher` (off the event loop), and sign-ins
are limited per email by its `SignInThrottle`; the gateway limits both routes per client address.
Names and emails are recorded sealed under the customer's key and opened for each answer
(`customer_privacy`); deletion destroys the key.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Request, Response

from services.cart.adapters.http import addresses
from services.cart.adapters.http.customer_access import require_customer_or_admin
from services.cart.adapters.http.customer_requests import CustomerUpdateRequest
from services.cart.adapters.http.presenters import customer_document
from services.cart.adapters.http.requests import CustomerRequest, CustomerTokenRequest
from services.cart.adapters.http.sign_in_throttle import SignInThrottle
from services.cart.adapters.password_hasher import PasswordHasher
from services.cart.application.customer_privacy import (
    customer_keys,
    customers_opener,
    email_claim,
    erase_customer,
)
from services.cart.application.customers import (
    authenticate,
    delete_customer,
    register_customer,
    update_customer,
    was_deleted,
)
from services.cart.domain.customer import Customer, CustomerNotFound
from services.cart.domain.email import is_valid_email
from shared.auth import AdminToken, AnyToken, issue_customer_token
from shared.auth.dependencies import settings_of
from shared.auth.revocations import REVOKED_CUSTOMERS
from shared.auth.routes import NO_STORE
from shared.eventstore.port import UnitOfWork
from shared.http.body import read_data, validate
from shared.http.errors import ApiError
from shared.http.openapi import PAGE_PARAMETERS, documented
from shared.http.paging import page_meta, paging
from shared.http.responses import JsonResponse
from shared.privacy.lifespan import personal_data_of
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
    keys = await customer_keys(personal_data_of(request), customer_id)

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        customer = await register_customer(
            uow, keys, customer_id, body.name, body.email, password_hash, body.external_ref
        )
        return {"data": customer_document(customer, keys.open)}

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
    claim = email_claim(personal_data_of(request), body.email)
    customer = await authenticate(database_of(request), claim, body.password, check)
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
    require_customer_or_admin(principal, request, customer_id)
    async with database_of(request).unit_of_work() as uow:
        customer = await uow.load(Customer, customer_id)
    if not customer.registered:
        raise CustomerNotFound(customer_id)
    open_ = await customers_opener(personal_data_of(request), [customer])
    return {"data": customer_document(customer, open_)}


@router.put(
    "/v2/customers/{customer_id}",
    **documented(
        body=CustomerUpdateRequest,
        answers="The customer as changed (a new password signs in from now on; the old one no more)",
        not_found="No such customer",
        conflict="The new email is another customer's",
        too_many="Too many password checks in progress",
    ),
)
async def update_customer_route(customer_id: str, request: Request, principal: AnyToken) -> dict[str, Any]:
    require_customer_or_admin(principal, request, customer_id)
    body = validate(CustomerUpdateRequest, await read_data(request))
    if body.email is not None and not is_valid_email(body.email):
        raise ApiError(400, "format", "Does not match format 'email", source="data.email")
    changes: dict[str, str | None] = {
        field: getattr(body, field)
        for field in ("name", "email", "external_ref")
        if field in body.model_fields_set
    }
    password_hash = await password_hasher_of(request).hash(body.password) if body.password else None
    keys = await customer_keys(personal_data_of(request), customer_id)

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        customer = await update_customer(uow, keys, customer_id, changes, password_hash)
        return {"data": customer_document(customer, keys.open)}

    return await database_of(request).run(command)


@router.delete(
    "/v2/customers/{customer_id}",
    **documented(
        status=204,
        auth="admin",
        answers="Deleted: the customer's tokens are refused from now on, their email free to register",
        not_found="No such customer",
    ),
)
async def delete_customer_route(customer_id: str, request: Request, _: AdminToken) -> Response:
    try:
        UUID(customer_id)
    except ValueError:
        raise CustomerNotFound(customer_id) from None

    async def command(uow: UnitOfWork) -> None:
        await delete_customer(uow, customer_id)

    database, personal = database_of(request), personal_data_of(request)
    try:
        await database.run(command)
    except CustomerNotFound:
        if personal.enabled and await was_deleted(database, customer_id):
            await erase_customer(personal, customer_id)  # finishes a deletion whose erasure failed
        raise
    REVOKED_CUSTOMERS.revoke(customer_id)  # this process at once; the others from CustomerDeleted
    await erase_customer(personal, customer_id)  # after the commit, as an order's anonymisation
    return Response(status_code=204)


@router.get(
    "/v2/customers", **documented(auth="admin", answers="A page of customers", parameters=PAGE_PARAMETERS)
)
async def list_customers(request: Request, _: AdminToken) -> dict[str, Any]:
    limit, offset = paging(request)
    ids, total = await page_of_ids(database_of(request).pool, "proj_customers.customers", "id", limit, offset)
    async with database_of(request).unit_of_work() as uow:
        customers = [await uow.load(Customer, row_id) for row_id in ids]
    # one deleted a moment ago may still be in the list (the projection follows the store)
    registered = [customer for customer in customers if customer.registered]
    open_ = await customers_opener(personal_data_of(request), registered)
    documents = [customer_document(customer, open_) for customer in registered]
    return {"data": documents, **page_meta(request, limit, offset, total)}


router.include_router(addresses.router)  # a customer's addresses are served with the customer
