"""What fulfilment learns from Kafka: new orders, and orders flagged fulfilled."""

from __future__ import annotations

from services.fulfillment.application.shipping import dispatch, open_shipment
from shared.contracts.envelope import Envelope
from shared.contracts.events import OrderCreated, OrderFulfilmentRequested
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
