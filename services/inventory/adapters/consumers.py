"""What inventory learns from Kafka: the `inventory` consumer group, by policy.

Each handler runs in the consumer's unit of work with the inbox row, so a redelivered message
changes nothing; the domain adds idempotency per order on top (a new message repeating a request
gets the same answer). Handlers never park: every fact can be applied in any order (a
cancellation or failed payment before its allocation request is remembered by the order's
allocation record). A concurrency conflict is retried by the consumer from a fresh read.
"""

from __future__ import annotations

from datetime import timedelta

from services.inventory.application import order_flow
from services.inventory.application.stock_admin import learn_product
from services.inventory.application.warehouse_adjustments import apply_adjustment
from services.inventory.domain.policy import AllocationPolicy
from shared.contracts import events as contracts
from shared.contracts.envelope import Envelope
from shared.contracts.inbound import WarehouseStockAdjusted
from shared.eventstore.port import UnitOfWork
from shared.messaging.consumer import EventConsumer


def build_inventory_consumer(policy: AllocationPolicy, reservation_ttl: timedelta) -> EventConsumer:
    consumer = EventConsumer("inventory")

    @consumer.handles(contracts.ProductPublished)
    async def on_product(event: contracts.ProductPublished, envelope: Envelope, uow: UnitOfWork) -> None:
        await learn_product(uow, event)

    @consumer.handles(WarehouseStockAdjusted)
    async def on_warehouse(event: WarehouseStockAdjusted, envelope: Envelope, uow: UnitOfWork) -> None:
        await apply_adjustment(uow, event, str(envelope.event_id))

    @consumer.handles(contracts.StockAllocationRequested)
    async def on_request(
        event: contracts.StockAllocationRequested, envelope: Envelope, uow: UnitOfWork
    ) -> None:
        await order_flow.request_allocation(uow, event)

    @consumer.handles(contracts.OrderCancelled)
    async def on_cancelled(event: contracts.OrderCancelled, envelope: Envelope, uow: UnitOfWork) -> None:
        await order_flow.cancel(uow, event.order_id)

    @consumer.handles(contracts.PaymentFailed)
    async def on_payment_failed(event: contracts.PaymentFailed, envelope: Envelope, uow: UnitOfWork) -> None:
        await order_flow.payment_failed(uow, event.order_id, event.transaction_id)

    @consumer.handles(contracts.PaymentAuthorized)
    async def on_authorized(event: contracts.PaymentAuthorized, envelope: Envelope, uow: UnitOfWork) -> None:
        await order_flow.mark_paid(uow, event.order_id)

    @consumer.handles(contracts.PaymentCaptured)
    async def on_captured(event: contracts.PaymentCaptured, envelope: Envelope, uow: UnitOfWork) -> None:
        await order_flow.mark_paid(uow, event.order_id)

    @consumer.handles(contracts.OrderShipped)
    async def on_shipped(event: contracts.OrderShipped, envelope: Envelope, uow: UnitOfWork) -> None:
        await order_flow.ship(uow, event.order_id)

    if policy.reserves_at_checkout:

        @consumer.handles(contracts.CartCheckedOut)
        async def on_checkout(event: contracts.CartCheckedOut, envelope: Envelope, uow: UnitOfWork) -> None:
            await order_flow.reserve_at_checkout(uow, event, reservation_ttl)

    return consumer
