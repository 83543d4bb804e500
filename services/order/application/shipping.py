"""Shipping: the admin's `fulfilled` flag is decided on the order (`correcting.update_order`: the
order is the one place that knows whether it is paid and not cancelled, so flagging and cancelling
cannot both win); the fulfilment service then records the shipment and announces `OrderShipped`,
which the order learns here."""

from __future__ import annotations

from datetime import datetime

from services.order.domain.order import Order
from shared.contracts.events import OrderShipped
from shared.eventstore.port import UnitOfWork


async def record_shipment(uow: UnitOfWork, fact: OrderShipped, at: datetime) -> Order:
    """Show the order as `fulfilled`; raises OrderNotFound if the order is not there (yet)."""
    order = await uow.load(Order, fact.order_id)
    order.record_shipment(at)
    return order
