"""Shipping: the admin's `fulfilled` flag is decided here (the order is the one place that knows
whether it is paid and not cancelled, so flagging and cancelling cannot both win); the fulfilment
service then records the shipment and announces `OrderShipped`, which the order also learns."""

from __future__ import annotations

from datetime import datetime

from services.order.application.announcing import announce
from services.order.domain.order import Order
from shared.contracts.envelope import utc_now
from shared.contracts.events import OrderShipped
from shared.eventstore.unit_of_work import UnitOfWork


async def request_fulfilment(uow: UnitOfWork, order_id: str) -> Order:
    """Flag a paid order `fulfilled` and ask fulfilment to ship it (once; again is a no-op)."""
    order = await uow.load(Order, order_id)
    order.request_fulfilment(utc_now())
    announce(uow, order)
    return order


async def record_shipment(uow: UnitOfWork, fact: OrderShipped, at: datetime) -> Order:
    """Show the order as `fulfilled`; raises OrderNotFound if the order is not there (yet)."""
    order = await uow.load(Order, fact.order_id)
    order.record_shipment(at)
    return order
