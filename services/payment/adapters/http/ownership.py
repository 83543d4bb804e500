"""Shoppers reach only their own orders' payments and transactions (the order service's rule).

Payments and transaction reads by a shopper first find the order as the payment service learnt it
from the checkout, then apply `shared.auth.may_access_order`: a registered customer's order needs
that customer's `X-Moltin-Customer-Token`. A refusal is the same 404 as an unknown order, so
nobody learns that someone else's order exists. Admin-only routes need no such check.
"""

from __future__ import annotations

from fastapi import Request

from services.payment.adapters.http.context import payments_of
from services.payment.application.orders import wait_for_order, wait_for_order_and_gateway
from services.payment.domain.errors import OrderNotFound
from services.payment.domain.gateway_settings import GatewaySettings
from services.payment.domain.payable_order import PayableOrder
from shared.auth import Principal, may_access_order


async def accessible_order(request: Request, order_id: str, principal: Principal) -> PayableOrder:
    """The order (waiting briefly for a checkout not consumed yet), or 404 if it is not the caller's."""
    payments = payments_of(request)
    order = await wait_for_order(payments.database, order_id, timeout=payments.order_wait)
    return _accessible(request, order, principal)


async def accessible_order_and_gateway(
    request: Request, order_id: str, principal: Principal, gateway: str
) -> tuple[PayableOrder, GatewaySettings | None]:
    """`accessible_order`, and the configuration of the gateway a new payment asks for, read with it
    when it can be (`wait_for_order_and_gateway`)."""
    payments = payments_of(request)
    order, settings = await wait_for_order_and_gateway(
        payments.database, order_id, gateway, timeout=payments.order_wait
    )
    return _accessible(request, order, principal), settings


def _accessible(request: Request, order: PayableOrder, principal: Principal) -> PayableOrder:
    if not may_access_order(principal, order.customer_id, request):
        raise OrderNotFound(order.id)
    return order
