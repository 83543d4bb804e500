"""Placing an order: one order per checked-out cart, announced with `OrderCreated`."""

from __future__ import annotations

from services.order.application.announcing import announce
from services.order.domain.order import Order
from shared.contracts.events import CartCheckedOut
from shared.eventstore.port import UnitOfWork


async def place_order(uow: UnitOfWork, checkout: CartCheckedOut) -> Order:
    """Create the incomplete, unpaid, unfulfilled order; a checkout seen again changes nothing."""
    order = await uow.load_new(Order, checkout.order_id)
    order.place(checkout)
    announce(uow, order)
    return order
