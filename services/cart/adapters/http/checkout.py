"""`POST /v2/carts/{ref}/checkout`: a guest (`customer: {name, email}`) or a registered customer
(`customer: {id}`), billing and shipping addresses; answers 201 with the incomplete order.

Without a key, checking out an unchanged cart again answers 409 naming the order it became. With an
`Idempotency-Key` (`shared.http.idempotency`) a retry answers the first 201 again: the answer is kept
with the key in the checkout's own database transaction, so a crash after the checkout committed
still leaves the retry its answer, and a crash before leaves no checkout to repeat. The answer is
kept with the customer and addresses sealed as the order's events hold them, and opened on replay
(`*` once the order is anonymised).

A cart associated with a customer is checked out only with their token (or an admin's), and its
order is theirs whatever customer the body names (a guest's name and email, or their own id)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.cart.adapters.http.cart_access import access_of
from services.cart.adapters.http.documents import cart_reference
from services.cart.adapters.http.requests import AddressRequest, CheckoutRequest
from services.cart.application.cart_customers import accessible_cart
from services.cart.application.checkout import CheckedOut, CheckOut, check_out
from services.cart.domain.email import is_valid_email
from services.cart.domain.order_ids import OrderIds
from shared.auth import AnyToken, Principal, may_access_order
from shared.contracts.events import CartCheckedOut
from shared.contracts.values import Address
from shared.ep.orders import order_document, order_items
from shared.eventstore.port import UnitOfWork
from shared.http.body import read_data, validate
from shared.http.errors import ApiError
from shared.http.idempotency import IDEMPOTENCY_KEY_PARAMETER, Answer, Claim, answer_once
from shared.http.openapi import documented
from shared.privacy.lifespan import personal_data_of
from shared.service import database_of

router = APIRouter(tags=["checkout"])

EMAIL_FORMAT_ERROR = ApiError(400, "format", "Does not match format 'email", source="data.customer.email")


def _address(body: AddressRequest) -> Address:
    return Address(**body.model_dump())


def _command(ref: str, body: CheckoutRequest) -> CheckOut:
    customer = body.customer
    shipping = body.shipping_address or body.billing_address
    common = {
        "cart_id": ref,
        "billing_address": _address(body.billing_address),
        "shipping_address": _address(shipping),
        "order_number": body.order_number,
        "external_ref": body.external_ref,
    }
    if customer.id:
        return CheckOut(customer_id=customer.id, **common)  # type: ignore[arg-type]
    missing = [f for f in ("name", "email") if not getattr(customer, f)]
    if missing:
        raise ApiError(
            400,
            "Bad Request",
            errors=[
                {
                    "status": 400,
                    "title": "required",
                    "detail": f"customer.{f} is required",
                    "source": f"data.customer.{f}",
                }
                for f in missing
            ],
        )
    assert customer.email is not None
    if not is_valid_email(customer.email):
        raise EMAIL_FORMAT_ERROR
    return CheckOut(customer_name=customer.name, customer_email=customer.email, **common)  # type: ignore[arg-type]


def _check_acting_for(principal: Principal, command: CheckOut, request: Request) -> None:
    """Only that customer (their `X-Moltin-Customer-Token`) or an admin may check out as a registered
    customer: the order would carry their name and email, and land in their order history. Decided
    before the customer is looked up, so the answer says nothing about whether the id exists."""
    if command.customer_id and not may_access_order(principal, command.customer_id, request):
        raise ApiError(
            403,
            "Forbidden",
            "Checking out as a registered customer needs that customer's X-Moltin-Customer-Token",
            source="data.customer.id",
        )


@router.post(
    "/v2/carts/{ref}/checkout",
    **documented(
        status=201,
        body=CheckoutRequest,
        body_description="A guest (`customer.name`, `.email`) or a registered customer (`customer.id`)",
        answers="The incomplete order, with its items in `included`",
        not_found="The cart or the customer does not exist",
        conflict="This cart, unchanged, was checked out already (the order's id in `meta.order_id`), or a"
        " checkout with this Idempotency-Key has not answered yet",
        unprocessable="The cart is empty, stock is short, or the Idempotency-Key was used for another"
        " request",
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    ),
)
async def checkout(ref: str, request: Request, principal: AnyToken) -> Response:
    async def run(claim: Claim | None) -> Answer:
        return await _check_out(ref, request, principal, claim)

    return await answer_once(request, principal, database_of(request), run)


async def _check_out(ref: str, request: Request, principal: Principal, claim: Claim | None) -> Answer:
    data = await read_data(request)
    if isinstance(data, dict) and isinstance(data.get("customer"), dict):
        email = data["customer"].get("email")
        if isinstance(email, str) and not data["customer"].get("id") and not is_valid_email(email):
            raise EMAIL_FORMAT_ERROR  # the seed's exact error, before any other check
    command = _command(cart_reference(ref), validate(CheckoutRequest, data))
    _check_acting_for(principal, command, request)
    order_ids: OrderIds = request.app.state.order_ids
    personal = personal_data_of(request)
    access = access_of(request, principal)

    async def run(uow: UnitOfWork) -> Answer:
        await accessible_cart(uow, command.cart_id, access)
        return _answer(await check_out(uow, command, order_ids, personal))

    async def run_keeping_answer(uow: UnitOfWork) -> Answer:
        """The checkout and its kept answer in one transaction (a function of its own: only keyed
        checkouts need the transaction, `Database.run` remembers which commands do)."""
        await accessible_cart(uow, command.cart_id, access)
        answer = _answer(await check_out(uow, command, order_ids, personal))
        assert claim is not None
        await claim.answer_in(uow.connection, answer)
        return answer

    return await database_of(request).run(run if claim is None else run_keeping_answer)


def _answer(order: CheckedOut) -> Answer:
    return Answer(201, _document(order.clear), kept=_document(order.sealed))


def _document(order: CartCheckedOut) -> dict[str, Any]:
    return {"data": order_document(order), "included": {"items": order_items(order)}}
