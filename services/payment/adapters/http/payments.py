"""`POST /v2/orders/{order_id}/payments`: pay for an order with `manual` or `stripe_payment_intents`.

Shopper (implicit) and admin tokens may pay; a registered customer's order only with that
customer's `X-Moltin-Customer-Token` (`ownership`). A manual `purchase` (money received outside
the platform) is the admin's alone (403): a shopper `authorize`s, and the admin captures. A
gateway an admin disabled (`/v2/gateways`) refuses with 400 "Gateway not enabled", nothing
recorded. Answers 200 with the transaction, as Elastic Path documents it; a refused payment
answers Elastic Path's error (422 insufficient stock, 400 "Payment gateway processing failed") and
the failed transaction stays readable. An order whose total is 0 is paid through `manual` only
(422 "Manual gateway required", nothing recorded).

An `Idempotency-Key` header makes a retry safe (`shared.http.idempotency`): the same key and body
answer the first answer again and never charge twice, also after a crash between the charge and the
answer (the transaction's id is derived from the key, and the retry resumes it).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.payment.adapters.http.context import database_of, payments_of
from services.payment.adapters.http.documents import transaction_document
from services.payment.adapters.http.ownership import accessible_order_and_gateway
from services.payment.adapters.http.requests import PaymentBody
from services.payment.application.paying import Pay, pay
from shared.auth import AnyToken
from shared.http.body import read_data, validate
from shared.http.errors import BadRequest
from shared.http.idempotency import IDEMPOTENCY_KEY_PARAMETER, Answer, Claim, answer_once
from shared.http.openapi import ErrorDocument, documented

router = APIRouter(tags=["payments"])


PAYMENT_DOCUMENTED = documented(
    body=PaymentBody,
    answers="The transaction",
    invalid="The body is invalid (one error per problem, with its `source`), or the gateway is not enabled",
    not_found="No such order",
    conflict="Another request is talking to the gateway about this payment, or one with this Idempotency-Key"
    " has not answered yet",
    unprocessable=(
        "The order is paid or cancelled, its total of 0 asks for the manual gateway,"
        " stock is short (nothing was charged), or the Idempotency-Key was used for another request"
    ),
    parameters=[IDEMPOTENCY_KEY_PARAMETER],
)
PAYMENT_DOCUMENTED["responses"][403] = {
    "model": ErrorDocument,
    "description": "A shopper's manual purchase: only an admin records money received outside the platform",
}


@router.post("/v2/orders/{order_id}/payments", **PAYMENT_DOCUMENTED)
async def create_payment(order_id: str, request: Request, principal: AnyToken) -> Response:
    async def run(claim: Claim | None) -> Answer:
        body = validate(PaymentBody, await read_data(request))
        if body.gateway == "stripe_payment_intents" and not body.payment:
            raise BadRequest(
                "payment (the Stripe PaymentMethod id) is required", title="required", source="data.payment"
            )
        order, gateway_settings = await accessible_order_and_gateway(
            request, order_id, principal, body.gateway
        )
        meta = body.paymentmethod_meta
        command = Pay(
            order_id=order_id,
            gateway=body.gateway,
            method=body.method,
            amount=body.amount,
            payment=body.payment,
            name=meta.name if meta else "",
            custom_reference=meta.custom_reference if meta else "",
            by_admin=principal.is_admin,
            transaction_id=claim.derived_id() if claim else None,
            gateway_keys=claim.gateway_key if claim else None,
        )
        txn = await pay(payments_of(request), command, order, gateway_settings)
        return Answer(200, {"data": transaction_document(txn)})

    return await answer_once(request, principal, database_of(request), run)
