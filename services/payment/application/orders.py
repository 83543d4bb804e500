"""Orders as the payment service learns them from Kafka, and waiting for one not learnt yet."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from services.payment.domain.errors import OrderNotFound
from services.payment.domain.gateway_settings import GATEWAY_NAMES, GatewaySettings
from services.payment.domain.payable_order import PayableOrder
from shared.contracts.envelope import utc_now
from shared.contracts.events import CartCheckedOut
from shared.contracts.values import StockLine
from shared.domain.order_ids import could_be_an_order
from shared.eventstore.aggregate_reader import stream_id_of
from shared.eventstore.commit_signals import wait_for
from shared.eventstore.port import EventDatabase, UnitOfWork

FALLBACK_READ_SECONDS = 0.25
"""How often a waiting read looks again without a signal: the message it waits for may be consumed
by another instance of this service (they share the consumer group), whose commits signal nothing
here."""


def stock_lines(checkout: CartCheckedOut) -> list[StockLine]:
    """The stock-managed product lines: what inventory must allocate before money moves."""
    return [
        StockLine(product_id=line.product_id, quantity=line.quantity)
        for line in checkout.items
        if line.type == "cart_item" and line.manage_stock and line.product_id and line.quantity > 0
    ]


async def open_order(uow: UnitOfWork, checkout: CartCheckedOut) -> None:
    """`CartCheckedOut`: the order's total, currency and owner are fixed here, never by a client."""
    order = await uow.load_new(PayableOrder, checkout.order_id)
    order.open(
        checkout.totals.with_tax,
        checkout.totals.currency,
        stock_lines(checkout),
        utc_now(),
        customer_id=checkout.customer.id,
    )


async def note_cancelled(uow: UnitOfWork, order_id: str, reason: str) -> None:
    """`OrderCancelled`: no new payment may start (transactions already made stay as they are)."""
    order = await uow.load(PayableOrder, order_id)
    order.note_cancelled(reason, utc_now())


async def wait_for_order(database: EventDatabase, order_id: str, *, timeout: float) -> PayableOrder:
    """The order once its checkout is consumed, waiting up to `timeout` seconds for it.

    The cart service answers a checkout before this service has consumed `CartCheckedOut`, so a
    shopper paying at once must not get a 404 from that lag (read your writes). A read is one
    statement, with no transaction around it. The wait ends when this process commits to the
    order's stream (its consumer opening the order), or at the next fallback read, for a checkout
    consumed by another instance of the service. Woken by this process's commit, it takes the order
    from the stream cache, which that commit filled (`read_newer`): no second read.
    """
    return await _opened(database, order_id, timeout, lambda: database.read(PayableOrder, order_id))


async def wait_for_order_and_gateway(
    database: EventDatabase, order_id: str, gateway: str, *, timeout: float
) -> tuple[PayableOrder, GatewaySettings | None]:
    """`wait_for_order`, and the configuration of the gateway a new payment asks for, read with the
    order's first read in one statement (one round trip, not two; a shopper paying right after the
    checkout usually finds the order not opened yet, and the configuration is as of the request's
    arrival either way). None for a slug this service does not implement: the payment then refuses
    it as before."""
    if gateway not in GATEWAY_NAMES:
        return await wait_for_order(database, order_id, timeout=timeout), None
    settings: GatewaySettings | None = None

    async def read() -> PayableOrder:
        nonlocal settings
        if settings is not None:
            return await database.read(PayableOrder, order_id)
        order, settings = await database.read_pair(PayableOrder, order_id, GatewaySettings, gateway)
        return order

    return await _opened(database, order_id, timeout, read), settings


async def _opened(
    database: EventDatabase, order_id: str, timeout: float, read: Callable[[], Awaitable[PayableOrder]]
) -> PayableOrder:
    if not could_be_an_order(order_id):
        raise OrderNotFound(order_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    with database.signals.watching(stream_id_of(PayableOrder, order_id)) as changed:
        order = await read()
        while not order.opened:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise OrderNotFound(order_id)
            woken = await wait_for(changed, min(remaining, FALLBACK_READ_SECONDS))
            changed.clear()  # before the read: a commit after it is seen by it or sets it again
            if woken:  # this process's consumer committed to it: what it committed, without a read
                order = await database.read_newer(PayableOrder, order_id, order.version)
            else:
                order = await read()
        return order
