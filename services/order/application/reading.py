"""Single-order reads from the event store: the source of truth, so no read lags this service's writes."""

from __future__ import annotations

import asyncio

from services.order.domain.errors import OrderNotFound
from services.order.domain.order import Order
from services.order.domain.view import OrderView
from shared.eventstore.unit_of_work import Database, UnitOfWork


def view_of(order: Order) -> OrderView:
    return OrderView(order.snapshot(), order.state)


async def get_order(uow: UnitOfWork, order_id: str) -> OrderView:
    """The order as of now; raises OrderNotFound (404) if it does not exist."""
    order = await uow.load(Order, order_id)
    if order.placed is None:
        raise OrderNotFound(order_id)
    return view_of(order)


async def get_order_soon(database: Database, order_id: str, *, timeout: float = 2.0) -> OrderView:
    """Like `get_order`, but waits up to `timeout` seconds for an order not placed yet.

    The cart service answers a checkout with the order before this service has consumed the
    `CartCheckedOut`, so a client asking at once must not get a 404 from that lag.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    delay = 0.01
    while True:
        try:
            async with database.unit_of_work() as uow:
                return await get_order(uow, order_id)
        except OrderNotFound:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.2)
