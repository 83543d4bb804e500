"""What inventory learns from Kafka, by policy."""

from __future__ import annotations

from services.inventory.application import order_flow
from services.inventory.application.stock_admin import learn_product
from services.inventory.domain.policy import AllocationPolicy
from shared.contracts import events as contracts
from shared.contracts.envelope import Envelope
from shared.contracts.values import StockLine
from shared.eventstore.unit_of_work import UnitOfWork
from shared.messaging.consumer import EventConsumer

CHECKOUT_REQUEST = "checkout"


def build_inventory_consumer(policy: AllocationPolicy) -> EventConsumer:
    consumer = EventConsumer("inventory")

    @consumer.handles(contracts.ProductPublished)
    async def on_product(event: contracts.ProductPublished, envelope: Envelope, uow: UnitOfWork) -> None:
        await learn_product(uow, event)

    @consumer.handles(contracts.StockAllocationRequested)
    async def on_request(
        event: contracts.StockAllocationRequested, envelope: Envelope, uow: UnitOfWork
    ) -> None:
        await order_flow.allocate(uow, event.order_id, event.request_id, event.lines)

    @consumer.handles(contracts.OrderCancelled)
    async def on_cancelled(event: contracts.OrderCancelled, envelope: Envelope, uow: UnitOfWork) -> None:
        await order_flow.release(uow, event.order_id, "order cancelled", void=True)

    @consumer.handles(contracts.PaymentFailed)
    async def on_payment_failed(event: contracts.PaymentFailed, envelope: Envelope, uow: UnitOfWork) -> None:
        await order_flow.release(uow, event.order_id, "payment failed")

    @consumer.handles(contracts.OrderShipped)
    async def on_shipped(event: contracts.OrderShipped, envelope: Envelope, uow: UnitOfWork) -> None:
        await order_flow.ship(uow, event.order_id)

    if policy is AllocationPolicy.RESERVE_ON_CHECKOUT:

        @consumer.handles(contracts.CartCheckedOut)
        async def on_checkout(event: contracts.CartCheckedOut, envelope: Envelope, uow: UnitOfWork) -> None:
            lines = [
                StockLine(product_id=line.product_id, quantity=line.quantity)
                for line in event.items
                if line.product_id and line.manage_stock and line.quantity > 0
            ]
            await order_flow.allocate(uow, event.order_id, CHECKOUT_REQUEST, lines)

        @consumer.handles(contracts.PaymentAuthorized)
        async def on_authorized(
            event: contracts.PaymentAuthorized, envelope: Envelope, uow: UnitOfWork
        ) -> None:
            await order_flow.mark_paid(uow, event.order_id)

        @consumer.handles(contracts.PaymentCaptured)
        async def on_captured(event: contracts.PaymentCaptured, envelope: Envelope, uow: UnitOfWork) -> None:
            await order_flow.mark_paid(uow, event.order_id)

    return consumer
