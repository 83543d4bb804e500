"""What fulfilment learns from Kafka: new orders, corrected shipping addresses, and orders flagged
fulfilled."""

from __future__ import annotations

from services.fulfillment.application.shipping import correct_address, dispatch, open_shipment
from shared.contracts.envelope import Envelope
from shared.contracts.events import OrderCreated, OrderFulfilmentRequested, OrderUpdated
from shared.eventstore.port import UnitOfWork
from shared.messaging.consumer import EventConsumer

CONSUMER_NAME = "fulfillment"


async def on_order_created(event: OrderCreated, envelope: Envelope, uow: UnitOfWork) -> None:
    await open_shipment(uow, event)


async def on_fulfilment_requested(
    event: OrderFulfilmentRequested, envelope: Envelope, uow: UnitOfWork
) -> None:
    await dispatch(uow, event)


async def on_order_updated(event: OrderUpdated, envelope: Envelope, uow: UnitOfWork) -> None:
    await correct_address(uow, event, envelope.aggregate_version)


def build_fulfillment_consumer() -> EventConsumer:
    """A fresh consumer group `fulfillment` (one per runtime, so tests and processes never share one)."""
    consumer = EventConsumer(CONSUMER_NAME)
    consumer.handles(OrderCreated)(on_order_created)
    consumer.handles(OrderFulfilmentRequested)(on_fulfilment_requested)
    consumer.handles(OrderUpdated)(on_order_updated)
    return consumer
