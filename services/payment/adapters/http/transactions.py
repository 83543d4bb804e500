"""`/v2/orders/{order_id}/transactions`: read them and confirm one (any token, but a registered
customer's order only with that customer's token: `ownership`), and the admin's capture, refund
and cancel (client-credentials tokens only, as Elastic Path requires), which an `Idempotency-Key`
makes safe to retry (`shared.http.idempotency`): a retry answers the first answer again and moves
no money twice, also after a crash between the effect and the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import Response

from services.payment.adapters.http.context import database_of, payments_of
from services.payment.adapters.http.documents import transaction_document
from services.payment.adapters.http.ownership import accessible_order
from services.payment.adapters.http.requests import CancelBody, CaptureBody, RefundBody
from services.payment.application.cancelling import cancel
from services.payment.application.capturing import capture
from services.payment.application.confirming import confirm
from services.payment.application.context import Payments
from services.payment.application.reading import load_transaction, order_transactions
from services.payment.application.refunding import refund
from services.payment.domain.transaction import Transaction
from shared.auth import AdminToken, AnyToken
from shared.http.body import read_data, validate
from shared.http.idempotency import IDEMPOTENCY_KEY_PARAMETER, Answer, Claim, answer_once
from shared.http.openapi import documented

router = APIRouter(tags=["transactions"])
BASE = "/v2/orders/{order_id}/transactions"
NO_TRANSACTION = "No such order or transaction"
NOT_NOW = "The transaction is not in a state that allows this"
BUSY = "Another request is talking to the gateway about this transaction"
KEYED_NOT_NOW = NOT_NOW + ", or the Idempotency-Key was used for another request"
KEYED_BUSY = BUSY + ", or one with this Idempotency-Key has not answered yet"
ActionBody = TypeVar("ActionBody", bound=BaseModel)
Argument = TypeVar("Argument")
GatewayUseCase = Callable[[Payments, str, str, Argument, str | None], Awaitable[Transaction]]
"""capture, refund or cancel: (payments, order id, transaction id, the body's argument, gateway key)."""


def _admin_action(body: type[BaseModel], description: str | None = None) -> dict[str, Any]:
    """What the admin's actions on a transaction (capture, refund, cancel) document alike."""
    return documented(
        body=body,
        body_required=False,
        body_description=description,
        auth="admin",
        answers="The transaction",
        not_found=NO_TRANSACTION,
        conflict=KEYED_BUSY,
        unprocessable=KEYED_NOT_NOW,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )


@router.get(BASE, **documented(answers="The order's transactions", not_found="No such order"))
async def list_transactions(order_id: str, request: Request, principal: AnyToken) -> dict[str, Any]:
    order = await accessible_order(request, order_id, principal)
    found = await order_transactions(payments_of(request).reads, order)
    return {"data": [transaction_document(txn) for txn in found]}


@router.get(BASE + "/{transaction_id}", **documented(answers="The transaction", not_found=NO_TRANSACTION))
async def get_transaction(
    order_id: str, transaction_id: str, request: Request, principal: AnyToken
) -> dict[str, Any]:
    await accessible_order(request, order_id, principal)
    txn = await load_transaction(payments_of(request).database, order_id, transaction_id)
    return {"data": transaction_document(txn)}


@router.post(
    BASE + "/{transaction_id}/confirm",
    **documented(
        answers="The transaction, with the gateway's outcome",
        not_found=NO_TRANSACTION,
        conflict=BUSY,
        unprocessable=NOT_NOW,
    ),
)
async def confirm_transaction(
    order_id: str, transaction_id: str, request: Request, principal: AnyToken
) -> dict[str, Any]:
    """The body is not read: `Orders.Confirm(o, t, {options})` sends invalid JSON (ep-api.md 1.7)."""
    await accessible_order(request, order_id, principal)
    return {"data": transaction_document(await confirm(payments_of(request), order_id, transaction_id))}


def _gateway_action(
    use_case: GatewayUseCase[Argument],
    body_type: type[ActionBody],
    argument: Callable[[ActionBody], Argument],
    description: str | None = None,
) -> None:
    """Route the admin's `POST .../{transaction_id}/<use case>` (capture, refund, cancel): each
    reads an optional body, derives the gateway's idempotency key from the request's (so a retry
    moves no money twice) and answers the transaction once per key."""
    operation = use_case.__name__

    async def endpoint(
        order_id: str, transaction_id: str, request: Request, principal: AdminToken
    ) -> Response:
        async def run(claim: Claim | None) -> Answer:
            body = validate(body_type, await read_data(request, required=False) or {})
            key = claim.gateway_key(operation) if claim else None
            txn = await use_case(payments_of(request), order_id, transaction_id, argument(body), key)
            return Answer(200, {"data": transaction_document(txn)})

        return await answer_once(request, principal, database_of(request), run)

    path = BASE + "/{transaction_id}/" + operation
    router.post(path, name=f"{operation}_transaction", **_admin_action(body_type, description))(endpoint)


_gateway_action(
    capture, CaptureBody, lambda body: body.amount, "Nothing (capture it all), or an `amount` to capture part"
)
_gateway_action(
    refund,
    RefundBody,
    lambda body: body.amount,
    "No `amount`: mark the rest of the capture refunded, with no gateway call",
)
_gateway_action(cancel, CancelBody, lambda body: body.reason)
