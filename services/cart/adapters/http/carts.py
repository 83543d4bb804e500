"""`/v2/carts`: carts by reference, their items, promotion codes and tax items (ep-api.md §6)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal
from uuid import uuid4

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services.cart.adapters.http.cart_access import CUSTOMER_TOKEN, access_of
from services.cart.adapters.http.documents import cart_answer, cart_reference, items_answer, request_currency
from services.cart.adapters.http.limits import MAX_ITEMS_PER_REQUEST
from services.cart.adapters.http.requests import (
    CartItemRequest,
    CartRequest,
    CustomItemRequest,
    PromotionItemRequest,
    TaxItemRequest,
    UpdateItemRequest,
)
from services.cart.application import cart_customers
from services.cart.application import carts as commands
from services.cart.application.cart_customers import accessible_cart
from services.cart.domain.associations import CartAccess
from services.cart.domain.cart import Cart
from services.cart.domain.events import TaxLine
from services.cart.domain.product import Product
from shared.auth import AdminToken, AnyToken, Principal, optional_customer
from shared.contracts.envelope import utc_now
from shared.domain.errors import DomainError
from shared.eventstore.port import UnitOfWork
from shared.http.body import read_data, read_json_body, validate
from shared.http.errors import ApiError, ErrorObject, error_object
from shared.http.openapi import documented, header_parameter, query_parameter
from shared.http.responses import JsonResponse
from shared.service import database_of

router = APIRouter(tags=["carts"])

NO_CART = "The reference is not a valid cart reference, or the item does not exist"
INCLUDE_ITEMS = query_parameter("include", "`items` to include the cart's items", {"type": "string"})
CURRENCY = header_parameter(
    "X-MOLTIN-CURRENCY", "Three-letter currency of the prices (USD when absent)", {"type": "string"}
)
NewItem = CartItemRequest | CustomItemRequest | PromotionItemRequest
"""One item to add; `type` says which (custom items need an implicit token)."""


class AddItemsOptions(BaseModel):
    add_all_or_nothing: bool = Field(default=False, description="Bulk: add every item or none")


class MergeCart(BaseModel):
    """`Cart.Merge`: the items of cart `cart_id` join this one (that cart is left as it was)."""

    type: Literal["cart_items"]
    cart_id: str = Field(description="The cart to merge from (a guest cart, or the caller's)")


class DoubleWrappedItems(BaseModel):
    """The SDK's bulk add sends `{"data": {"data": [...]}}`."""

    data: Annotated[list[NewItem], Field(min_length=1, max_length=MAX_ITEMS_PER_REQUEST)]


@router.post(
    "/v2/carts",
    **documented(
        status=201,
        body=CartRequest,
        parameters=[CUSTOMER_TOKEN],
        answers="The new cart (with a customer token, associated with that customer)",
    ),
)
async def create_cart(request: Request, principal: AnyToken) -> JsonResponse:
    """With an `X-Moltin-Customer-Token` the cart is that customer's from the start (EP's "a customer
    token to be associated with the cart"); an existing id is renamed only by whoever may use it."""
    body = validate(CartRequest, await read_data(request))
    cart_id = cart_reference(body.id) if body.id else uuid4().hex
    access = access_of(request, principal)

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        await accessible_cart(uow, cart_id, access)
        cart = await commands.create_cart(uow, cart_id, body.name, body.description)
        if access.customer_id is not None:
            cart = await cart_customers.associate(uow, cart_id, access.customer_id, access)
        return await cart_answer(uow, cart, request)

    return JsonResponse(await database_of(request).run(command), status_code=201)


@router.get(
    "/v2/carts/{ref}",
    **documented(answers="The cart (empty when nothing was added yet)", parameters=[INCLUDE_ITEMS]),
)
async def get_cart(ref: str, request: Request, principal: AnyToken) -> dict[str, Any]:
    """An unknown reference is an empty cart, as in Elastic Path; nothing is created by reading. A
    customer's cart is read only with their token (or an admin's)."""
    access = access_of(request, principal)
    async with database_of(request).unit_of_work() as uow:
        return await cart_answer(uow, await accessible_cart(uow, cart_reference(ref), access), request)


@router.put("/v2/carts/{ref}", **documented(body=CartRequest, answers="The cart", not_found=NO_CART))
async def update_cart(ref: str, request: Request, principal: AnyToken) -> dict[str, Any]:
    body = validate(CartRequest, await read_data(request))
    access = access_of(request, principal)

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        cart = await accessible_cart(uow, cart_reference(ref), access)
        cart.rename(body.name, body.description, utc_now())
        return await cart_answer(uow, cart, request)

    result: dict[str, Any] = await database_of(request).run(command)
    return result


@router.delete(
    "/v2/carts/{ref}",
    **documented(
        status=204,
        answers="Deleted (a customer's last cart is refused, 400 Last cart: free it instead)",
        not_found=NO_CART,
    ),
)
async def delete_cart(ref: str, request: Request, principal: AnyToken) -> Response:
    access = access_of(request, principal)

    async def command(uow: UnitOfWork) -> None:
        await cart_customers.delete(uow, cart_reference(ref), access)

    await database_of(request).run(command)
    return Response(status_code=204)


@router.get("/v2/carts/{ref}/items", **documented(answers="The cart's items"))
async def get_items(ref: str, request: Request, principal: AnyToken) -> dict[str, Any]:
    access = access_of(request, principal)
    async with database_of(request).unit_of_work() as uow:
        return await items_answer(uow, await accessible_cart(uow, cart_reference(ref), access), request)


def _items_payload(body: Any) -> tuple[list[Any], bool]:
    """One item, a list (bulk), or the SDK's double-wrapped bulk `{"data": {"data": [...]}}`."""
    if not isinstance(body, dict) or "data" not in body:
        raise ApiError(400, "required", "The body must be an object with a data member", source="data")
    data, options = body["data"], body.get("options") or {}
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    all_or_nothing = bool(isinstance(options, dict) and options.get("add_all_or_nothing", False))
    if isinstance(data, dict):
        return [data], True
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        if len(data) > MAX_ITEMS_PER_REQUEST:
            raise ApiError(
                400,
                "Bad Request",
                f"At most {MAX_ITEMS_PER_REQUEST} items can be added at once",
                source="data",
            )
        return data, all_or_nothing
    raise ApiError(400, "type", "data must be an item object or a non-empty list of them", source="data")


@router.post(
    "/v2/carts/{ref}/items",
    **documented(
        status=201,
        body=NewItem,
        body_alternatives=[
            Annotated[list[NewItem], Field(min_length=1, max_length=MAX_ITEMS_PER_REQUEST)],
            DoubleWrappedItems,
            MergeCart,
        ],
        options=AddItemsOptions,
        body_description="One item, or up to 100 (bulk; failures listed in `errors` unless all or"
        " nothing), or a cart to merge from (`cart_items`; its refused lines listed the same way)",
        parameters=[CURRENCY],
        answers="The cart's items",
        not_found="The product, its price in the currency, or the promotion code does not exist",
        unprocessable="Not enough stock",
    ),
)
async def add_items(ref: str, request: Request, principal: AnyToken) -> JsonResponse:
    cart_id = cart_reference(ref)
    body = await read_json_body(request)
    access = access_of(request, principal)
    merged_from = _merge_source(body)
    if merged_from is not None:
        return await _merge(request, cart_id, merged_from, body, access)
    items, all_or_nothing = _items_payload(body)
    currency = request_currency(request)
    customer = optional_customer(request)
    parsed = [_parse_item(item, i if len(items) > 1 else None, principal) for i, item in enumerate(items)]

    products = [item.id for item in parsed if isinstance(item, CartItemRequest) and item.id]

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        if len(products) == 1:  # the cart and the product added in one read; both tracked from here
            await uow.load_pair(Cart, cart_id, Product, products[0])
        cart = await accessible_cart(uow, cart_id, access)
        failures: list[ErrorObject] = []
        customer_id = customer.customer_id if customer else None
        if len(parsed) == 1 or all_or_nothing:  # any failure fails the whole unit of work
            for item in parsed:
                await _add(uow, cart_id, item, currency, customer_id)
            return await items_answer(uow, cart, request)
        connection = uow.connection  # outside the try: a one-statement unit must run again in a transaction
        for item in parsed:
            try:
                async with connection.transaction():  # a failed item leaves no trace (savepoint)
                    await _add(uow, cart_id, item, currency, customer_id)
            except DomainError as refused:  # a rule said no to this item: say which, in EP's words
                failures.append(
                    error_object(refused.status, refused.title, refused.detail, refused.source, refused.meta)
                )
        answer = await items_answer(uow, cart, request)
        if failures:
            answer["errors"] = failures
        return answer

    return JsonResponse(await database_of(request).run(command), status_code=201)


def _merge_source(body: Any) -> str | None:
    """The cart to merge from when the body is `Cart.Merge`'s `{"data": {"type": "cart_items",
    "cart_id": ...}}` (or the OpenAPI's one-element array of it); None for any other body."""
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict) or data.get("type") != "cart_items":
        return None
    source = data.get("cart_id")
    if not isinstance(source, str) or not source:
        raise ApiError(400, "required", "cart_id is required to merge a cart", source="data.cart_id")
    try:
        return cart_reference(source)
    except ApiError:
        raise ApiError(
            400, "format", "cart_id is not a valid cart reference", source="data.cart_id"
        ) from None


async def _merge(
    request: Request, cart_id: str, from_cart_id: str, body: Any, access: CartAccess
) -> JsonResponse:
    """Merge `from_cart_id` into the cart: refused lines listed in `errors`, unless all or nothing."""
    options = body.get("options") if isinstance(body.get("options"), dict) else {}
    all_or_nothing = bool(options.get("add_all_or_nothing", False))

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        cart, refused = await cart_customers.merge(
            uow, cart_id, from_cart_id, access, all_or_nothing=all_or_nothing
        )
        answer = await items_answer(uow, cart, request)
        if refused:
            answer["errors"] = [error_object(r.status, r.title, r.detail, r.source, r.meta) for r in refused]
        return answer

    return JsonResponse(await database_of(request).run(command), status_code=201)


def _parse_item(item: dict[str, Any], index: int | None, principal: Principal) -> Any:
    prefix = "data" if index is None else f"data.{index}"
    kind = item.get("type")
    if kind == "cart_item":
        parsed = validate(CartItemRequest, item, prefix)
        if not parsed.id and not parsed.sku:
            raise ApiError(400, "required", "A cart_item needs an id or a sku", source=f"{prefix}.id")
        return parsed
    if kind == "custom_item":
        if principal.grant_type != "implicit":
            raise ApiError(
                403,
                "Forbidden",
                "Custom items can only be added with an implicit token",
                source=f"{prefix}.type",
            )
        return validate(CustomItemRequest, item, prefix)
    if kind == "promotion_item":
        return validate(PromotionItemRequest, item, prefix)
    raise ApiError(
        400, "enum", "type must be cart_item, custom_item or promotion_item", source=f"{prefix}.type"
    )


async def _add(uow: UnitOfWork, cart_id: str, item: Any, currency: str, customer_id: str | None) -> None:
    if isinstance(item, CartItemRequest):
        await commands.add_product(
            uow,
            commands.AddProduct(
                cart_id,
                item.quantity,
                product_id=item.id,
                sku=item.sku,
                currency=currency,
                custom_inputs=item.custom_inputs,
            ),
        )
    elif isinstance(item, CustomItemRequest):
        await commands.add_custom_item(
            uow,
            commands.AddCustomItem(
                cart_id,
                item.name,
                item.sku,
                item.description,
                item.quantity,
                item.price.amount,
                item.price.includes_tax,
                currency,
            ),
        )
    else:
        await commands.apply_promotion(uow, commands.ApplyPromotion(cart_id, item.code, customer_id))


@router.put(
    "/v2/carts/{ref}/items/{item_id}",
    **documented(
        body=UpdateItemRequest,
        answers="The cart's items",
        not_found=NO_CART,
        unprocessable="Not enough stock",
    ),
)
async def update_item(ref: str, item_id: str, request: Request, principal: AnyToken) -> dict[str, Any]:
    body = validate(UpdateItemRequest, await read_data(request))
    access = access_of(request, principal)

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        await accessible_cart(uow, cart_reference(ref), access)
        cart = await commands.change_quantity(uow, cart_reference(ref), item_id, body.quantity)
        return await items_answer(uow, cart, request)

    result: dict[str, Any] = await database_of(request).run(command)
    return result


@router.put(
    "/v2/carts/{ref}/items",
    **documented(
        body=Annotated[list[UpdateItemRequest], Field(min_length=1, max_length=MAX_ITEMS_PER_REQUEST)],
        body_description=(
            f"Every item with its `id` and new `quantity` (at most {MAX_ITEMS_PER_REQUEST}, each once)"
        ),
        answers="The cart's items",
        not_found=NO_CART,
        unprocessable="Not enough stock",
    ),
)
async def update_items(ref: str, request: Request, principal: AnyToken) -> dict[str, Any]:
    data = await read_data(request)
    access = access_of(request, principal)
    if not isinstance(data, list) or not data:
        raise ApiError(400, "type", "data must be a non-empty list of items", source="data")
    if len(data) > MAX_ITEMS_PER_REQUEST:  # before anything else: a cart never holds more items
        raise ApiError(
            400, "Bad Request", f"At most {MAX_ITEMS_PER_REQUEST} items can be updated at once", source="data"
        )
    updates = [validate(UpdateItemRequest, item, f"data.{i}") for i, item in enumerate(data)]
    if any(u.id is None for u in updates):
        raise ApiError(400, "required", "Every item needs its id", source="data")
    seen: set[str | None] = set()
    for i, update in enumerate(updates):
        if update.id in seen:
            raise ApiError(
                400, "Bad Request", "Each item can be updated once per request", source=f"data.{i}.id"
            )
        seen.add(update.id)

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        cart = await accessible_cart(uow, cart_reference(ref), access)
        for update in updates:
            assert update.id is not None
            cart = await commands.change_quantity(uow, cart.id, update.id, update.quantity)
        return await items_answer(uow, cart, request)

    result: dict[str, Any] = await database_of(request).run(command)
    return result


@router.delete("/v2/carts/{ref}/items/{item_id}", **documented(answers="The cart's items", not_found=NO_CART))
async def remove_item(ref: str, item_id: str, request: Request, principal: AnyToken) -> dict[str, Any]:
    access = access_of(request, principal)

    async def command(uow: UnitOfWork) -> dict[str, Any]:
        await accessible_cart(uow, cart_reference(ref), access)
        cart = await commands.remove_item(uow, cart_reference(ref), item_id)
        return await items_answer(uow, cart, request)

    result: dict[str, Any] = await database_of(request).run(command)
    return result


@router.delete("/v2/carts/{ref}/items", **documented(status=204, answers="Emptied"))
async def remove_all_items(ref: str, request: Request, principal: AnyToken) -> Response:
    access = access_of(request, principal)

    async def command(uow: UnitOfWork) -> None:
        await accessible_cart(uow, cart_reference(ref), access)
        await commands.clear_items(uow, cart_reference(ref))

    await database_of(request).run(command)
    return Response(status_code=204)


@router.delete(
    "/v2/carts/{ref}/discounts/{code}",
    **documented(status=204, answers="Removed", not_found="The code is not applied to the cart"),
)
async def remove_promotion(ref: str, code: str, request: Request, principal: AnyToken) -> Response:
    access = access_of(request, principal)

    async def command(uow: UnitOfWork) -> None:
        await accessible_cart(uow, cart_reference(ref), access)
        await commands.remove_promotion(uow, cart_reference(ref), code)

    await database_of(request).run(command)
    return Response(status_code=204)


@router.post(
    "/v2/carts/{ref}/items/{item_id}/taxes",
    **documented(status=201, body=TaxItemRequest, auth="admin", answers="The tax item", not_found=NO_CART),
)
async def add_tax(ref: str, item_id: str, request: Request, _: AdminToken) -> JsonResponse:
    body = validate(TaxItemRequest, await read_data(request))
    try:
        rate = Decimal(str(body.rate))
    except InvalidOperation:
        raise ApiError(400, "format", "rate must be a number", source="data.rate") from None
    if rate.is_nan():  # "nan" parses, but cannot be compared with the bounds (that was a 500)
        raise ApiError(400, "format", "rate must be a number", source="data.rate")
    tax = TaxLine(
        id=str(uuid4()), name=body.name, jurisdiction=body.jurisdiction, code=body.code, rate=str(rate)
    )
    await database_of(request).run(lambda uow: commands.add_tax(uow, cart_reference(ref), item_id, tax))
    document = {
        "type": "tax_item",
        "id": tax.id,
        "name": tax.name,
        "jurisdiction": tax.jurisdiction,
        "code": tax.code,
        "rate": float(rate),
    }
    return JsonResponse({"data": document}, status_code=201)


@router.delete(
    "/v2/carts/{ref}/items/{item_id}/taxes/{tax_id}",
    **documented(status=204, auth="admin", answers="Removed", not_found="No such cart, item or tax item"),
)
async def remove_tax(ref: str, item_id: str, tax_id: str, request: Request, _: AdminToken) -> Response:
    await database_of(request).run(lambda uow: commands.remove_tax(uow, cart_reference(ref), item_id, tax_id))
    return Response(status_code=204)
