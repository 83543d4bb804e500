"""Single-order reads from the event store: the source of truth, so no read lags this service's writes.

A read is one statement on the pool, with no transaction around it (`EventDatabase.read`). A read that
must wait for an order not consumed yet wakes when this process commits to the order's stream
(`EventDatabase.signals`), and re-reads slowly besides, for a consumption committed by another instance.
"""

from __future__ import annotations

import asyncio

from services.order.domain.errors import OrderNotFound
from services.order.domain.order import Order
from services.order.domain.view import OrderView
from shared.domain.order_ids import could_be_an_order
from shared.eventstore.aggregate_reader import stream_id_of
from shared.eventstore.commit_signals import wait_for
from shared.eventstore.port import EventDatabase

FALLBACK_READ_SECONDS = 0.5
"""How often a waiting read looks again without a signal: the `CartCheckedOut` may be consumed by
another instance of this service (they share the consumer group), whose commits no signal here."""


def view_of(order: Order) -> OrderView:
    return OrderView(order.snapshot(), order.state)


async def read_order(database: EventDatabase, order_id: str) -> OrderView:
    """The order as committed; raises OrderNotFound (404) if it does not exist."""
    order = await database.read(Order, order_id)
    if order.placed is None:
        raise OrderNotFound(order_id)
    return view_of(order)


async def get_order_soon(database: EventDatabase, order_id: str, *, timeout: float = 2.0) -> OrderView:
    """Like `read_order`, but waits up to `timeout` seconds for an order not placed yet.

    The cart service answers a checkout with the order before this service has consumed the
    `CartCheckedOut`, so a client asking at once must not get a 404 from that lag. The wait ends as
    soon as this process commits to the order's stream, or at the next fallback read.
    """
    if not could_be_an_order(order_id):
        raise OrderNotFound(order_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    with database.signals.watching(stream_id_of(Order, order_id)) as changed:
        while True:
            try:
                return await read_order(database, order_id)
            except OrderNotFound:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise
            await wait_for(changed, min(remaining, FALLBACK_READ_SECONDS))
            changed.clear()  # before the read: a commit after it is seen by it or sets it again
