"""What the payment service learns from Kafka: checkouts (what an order costs), cancellations,
and inventory's answers to its allocation requests (a `manual` payment is charged with the answer).

Each handler runs in the consumer's unit of work with the inbox row, so a redelivered message
changes nothing. None of them parks: an allocation reply can only follow its request (the
transaction is written with the request), a cancellation before its checkout is remembered.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.payment.application.allocation import record_reply
from services.payment.application.orders import note_cancelled, open_order
from services.payment.application.ports import Gateway
from shared.contracts.envelope import Envelope
from shared.contracts.events import CartCheckedOut, OrderCancelled, StockAllocated, StockAllocationFailed
from shared.eventstore.port import UnitOfWork
from shared.messaging.consumer import EventConsumer

CONSUMER_NAME = "payment"


def build_payment_consumer(in_process: Mapping[str, Gateway] | None = None) -> EventConsumer:
    """A fresh consumer group `payment` (its commits wake this instance's waiting requests).

    `in_process`: the gateways that stay in the process (`manual`), charged as soon as inventory
    holds the stock (`record_reply`); none given, the waiting request charges them."""
    consumer = EventConsumer(CONSUMER_NAME)

    @consumer.handles(CartCheckedOut)
    async def on_checkout(event: CartCheckedOut, envelope: Envelope, uow: UnitOfWork) -> None:
        await open_order(uow, event)

    @consumer.handles(OrderCancelled)
    async def on_cancelled(event: OrderCancelled, envelope: Envelope, uow: UnitOfWork) -> None:
        await note_cancelled(uow, event.order_id, event.reason)

    @consumer.handles(StockAllocated)
    async def on_allocated(event: StockAllocated, envelope: Envelope, uow: UnitOfWork) -> None:
        await record_reply(uow, event.request_id, allocated=True, gateways=in_process)

    @consumer.handles(StockAllocationFailed)
    async def on_refused(event: StockAllocationFailed, envelope: Envelope, uow: UnitOfWork) -> None:
        await record_reply(
            uow, event.request_id, allocated=False, reason=event.reason, short=list(event.short)
        )

    return consumer
