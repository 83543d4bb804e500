"""What fulfilment learns from Kafka: new orders, corrected shipping addresses, and orders flagged
fulfilled."""

from __future__ import annotations

from services.fulfillment.application.shipping import correct_address, dispatch, open_shipment
from shared.contracts.envelope import Envelope
from shared.contracts.events import OrderCreated, OrderFulfilmentRequested, OrderUpdated
from shared.eventstore.unit_of_work import UnitOfWork
from shared.messaging.consumer import EventConsumer

fulfillment_consumer = EventConsumer("fulfillment")


@fulfillment_consumer.handles(OrderCreated)
async def on_order_created(event: OrderCreated, envelope: Envelope, uow: UnitOfWork) -> None:
    await open_shipment(uow, event)


@fulfillment_consumer.handles(OrderFulfilmentRequested)
async def on_fulfilment_requested(
    event: OrderFulfilmentRequested, envelope: Envelope, uow: UnitOfWork
) -> None:
    await dispatch(uow, event)


@fulfillment_consumer.handles(OrderUpdated)
async def on_order_updated(event: OrderUpdated, envelope: Envelope, uow: UnitOfWork) -> None:
    await correct_address(uow, event, envelope.aggregate_version)
