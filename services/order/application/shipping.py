"""Shipping is owned by the fulfilment service; the order only shows its `OrderShipped` fact."""

from __future__ import annotations

from datetime import datetime

from services.order.domain.order import Order
from shared.contracts.events import OrderShipped
from shared.eventstore.unit_of_work import UnitOfWork


async def record_shipment(uow: UnitOfWork, fact: OrderShipped, at: datetime) -> Order:
    """Show the order as `fulfilled`; raises OrderNotFound if the order is not there (yet)."""
    order = await uow.load(Order, fact.order_id)
    order.record_shipment(at)
    return order
