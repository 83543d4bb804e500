"""What fulfilment learns from Kafka: orders flagged fulfilled, and corrected shipping addresses.

Not `OrderCreated`: an order is fulfilment's business once the order service asks for it to be
shipped (`OrderFulfilmentRequested`, which carries the address and the lines), and most of a shop's
checkouts are never paid. A shipment's stream starts with that request, or with a correction of its
address before it; streams of earlier versions start with `ShipmentOpened`, still read."""

from __future__ import annotations

from services.fulfillment.application.shipping import correct_address, dispatch
from shared.contracts.envelope import Envelope
from shared.contracts.events import OrderFulfilmentRequested, OrderUpdated
from shared.eventstore.port import UnitOfWork
from shared.messaging.consumer import EventConsumer

CONSUMER_NAME = "fulfillment"


async def on_fulfilment_requested(
    event: OrderFulfilmentRequested, envelope: Envelope, uow: UnitOfWork
) -> None:
    await dispatch(uow, event)


async def on_order_updated(event: OrderUpdated, envelope: Envelope, uow: UnitOfWork) -> None:
    await correct_address(uow, event, envelope.aggregate_version)


def build_fulfillment_consumer() -> EventConsumer:
    """A fresh consumer group `fulfillment` (one per runtime, so tests and processes never share one)."""
    consumer = EventConsumer(CONSUMER_NAME)
    consumer.handles(OrderFulfilmentRequested)(on_fulfilment_requested)
    consumer.handles(OrderUpdated)(on_order_updated)
    return consumer
