"""`/v2/orders`: list, read one, its items, and the admin's update (cancel, or flag `fulfilled`, and
correct the shipping address, `order_number` and `external_ref`).

Admins see every order. Shoppers see only their own: listing needs their customer token
(`X-Moltin-Customer-Token`); a single order of a registered customer needs that customer's token,
while a guest's order is read by its unguessable id with the storefront's token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.order.adapters.http.documents import view_document, view_items
from services.order.adapters.http.filters import parse_filter
from services.order.adapters.http.readable_orders import readable, readable_one
from services.order.adapters.http.requests import OrderUpdate
from services.order.application.correcting import UpdateOrder, update_order
from services.order.application.reading import get_order_soon, view_of
from services.order.domain.corrections import DetailsCorrection
from services.order.domain.errors import OrderNotFound
from services.order.domain.view import OrderView
from services.order.projections.listing import OrderQuery, list_orders
from shared.auth import AdminToken, AnyToken, Principal, may_access_order, optional_customer
from shared.eventstore.port import UnitOfWork
from shared.http.body import read_data, validate
from shared.http.errors import ApiError
from shared.http.openapi import PAGE_PARAMETERS, documented, header_parameter, query_parameter
from shared.http.paging import page_meta, paging
from shared.privacy.lifespan import personal_data_of
from shared.service import database_of

router = APIRouter(tags=["orders"])

NO_ORDER = "No such order, or not the caller's"
INCLUDE_ITEMS = query_parameter("include", "`items` to include the orders' items")
CUSTOMER_TOKEN = header_parameter(
    "X-Moltin-Customer-Token", "A customer token: shoppers see only that customer's orders"
)


def _check_owner(view: OrderView, principal: Principal, request: Request) -> None:
    if not may_access_order(principal, view.snapshot.customer.id, request):
        raise OrderNotFound(view.snapshot.order_id)  # do not reveal that someone else's order exists


def _checkout_wait(request: Request) -> float:
    """ORDER_CHECKOUT_WAIT_SECONDS: how long to wait for a checkout not consumed yet."""
    return float(request.app.state.settings.order_checkout_wait_seconds)


def _wants_items(request: Request) -> bool:
    return "items" in {part.strip().lower() for part in request.query_params.get("include", "").split(",")}


async def _read(request: Request, order_id: str, principal: Principal) -> OrderView:
    view = await get_order_soon(database_of(request), order_id, timeout=_checkout_wait(request))
    _check_owner(view, principal, request)
    return view


@router.get(
    "/v2/orders",
    **documented(
        answers="A page of orders",
        parameters=[
            *PAGE_PARAMETERS,
            query_parameter("filter", "Elastic Path filter, e.g. `eq(status,complete):eq(payment,paid)`"),
            query_parameter("sort", "`created_at`, `-created_at` (default), ..."),
            INCLUDE_ITEMS,
            CUSTOMER_TOKEN,
        ],
    ),
)
async def list_all(request: Request, principal: AnyToken) -> dict[str, Any]:
    limit, offset = paging(request)
    filters = parse_filter(request.query_params.get("filter"))
    if not principal.is_admin:
        customer = optional_customer(request)
        if customer is None:
            raise ApiError(
                403, "Forbidden", "Listing orders needs an admin token or an X-Moltin-Customer-Token"
            )
        filters = (*[f for f in filters if f[0] != "customer_id"], ("customer_id", customer.customer_id))
    personal = personal_data_of(request)
    filters = tuple((a, (personal.email_index(v) or v) if a == "email" else v) for a, v in filters)
    sort = request.query_params.get("sort") or "-created_at"
    page = await list_orders(database_of(request).pool, OrderQuery(filters, limit, offset, sort))
    documents = [view_document(view) for view in await readable(request, page.orders)]
    answer: dict[str, Any] = {"data": documents, **page_meta(request, limit, offset, page.total)}
    if _wants_items(request):
        answer["included"] = {"items": [item for view in page.orders for item in view_items(view)]}
    return answer


@router.get(
    "/v2/orders/{order_id}",
    **documented(answers="The order", parameters=[INCLUDE_ITEMS, CUSTOMER_TOKEN], not_found=NO_ORDER),
)
async def get_one(order_id: str, request: Request, principal: AnyToken) -> dict[str, Any]:
    view = await readable_one(request, await _read(request, order_id, principal))
    answer: dict[str, Any] = {"data": view_document(view)}
    if _wants_items(request):
        answer["included"] = {"items": view_items(view)}
    return answer


@router.get(
    "/v2/orders/{order_id}/items",
    **documented(answers="The order's items", parameters=[CUSTOMER_TOKEN], not_found=NO_ORDER),
)
async def get_items(order_id: str, request: Request, principal: AnyToken) -> dict[str, Any]:
    view = await _read(request, order_id, principal)
    return {"data": view_items(view)}


NOTHING_TO_CHANGE = (
    "Set shipping to 'fulfilled' or status to 'cancelled', or correct shipping_address, order_number"
    " or external_ref"
)


def _command(order_id: str, body: OrderUpdate) -> UpdateOrder:
    """The update `body` asks for; a 400 (nothing written) for one that asks for nothing or both."""
    if body.shipping is not None and body.status is not None:
        raise ApiError(400, "Bad Request", "Change shipping or status, not both at once", source="data")
    address = body.shipping_address.given() if body.shipping_address is not None else None
    if address == {}:
        raise ApiError(
            400, "Bad Request", "shipping_address names no field to change", source="data.shipping_address"
        )
    correction = DetailsCorrection(address, body.order_number, body.external_ref)
    if body.shipping is None and body.status is None and correction.is_empty():
        raise ApiError(400, "Bad Request", NOTHING_TO_CHANGE, source="data")
    return UpdateOrder(
        order_id,
        correction,
        cancel=body.status == "cancelled",
        fulfil=body.shipping == "fulfilled",
        reason=body.reason or "",
    )


@router.put(
    "/v2/orders/{order_id}",
    **documented(
        body=OrderUpdate,
        body_description=(
            "`shipping: fulfilled` (a paid order) or `status: cancelled`, not both; and/or corrections:"
            " `shipping_address` (the fields given; not once fulfilled), `order_number`, `external_ref`"
            " (an empty string clears one)"
        ),
        auth="admin",
        answers="The order",
        not_found=NO_ORDER,
        unprocessable="The order cannot change so (not paid, cancelled, a fulfilled one's address...)",
    ),
)
async def update(order_id: str, request: Request, _: AdminToken) -> dict[str, Any]:
    body = validate(OrderUpdate, await read_data(request))
    database = database_of(request)
    personal = personal_data_of(request)
    try:
        command = _command(order_id, body)
    except ApiError:
        await get_order_soon(database, order_id, timeout=_checkout_wait(request))  # a 404 comes first
        raise

    async def run(uow: UnitOfWork) -> OrderView:
        return view_of(await update_order(uow, command, personal))

    try:
        view: OrderView = await database.run(run)
    except OrderNotFound:
        # Not consumed yet (the command wrote nothing): wait for the checkout, then change it.
        await get_order_soon(database, order_id, timeout=_checkout_wait(request))
        view = await database.run(run)
    return {"data": view_document(await readable_one(request, view))}
