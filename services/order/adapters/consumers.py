"""What the order service learns from Kafka: checkouts, payment facts and shipments.

Domain answers steer the kernel's consumer: a fact about an order that does not exist yet is
early (`NotReady`: parked, and retried once a message with the same key, such as the checkout,
applies); a fact that breaks a rule can never apply (`PoisonMessage`: the dead-letter topic).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from services.order.application.payments import PaymentFact, record_payment
from services.order.application.placing import place_order
from services.order.application.shipment_confirmations import confirm_shipment
from services.order.application.shipping import record_shipment
from services.order.domain.errors import OrderNotFound
from shared.contracts.envelope import Envelope
from shared.contracts.events import (
    CartCheckedOut,
    OrderShipped,
    PaymentAuthorized,
    PaymentCancelled,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
)
from shared.contracts.inbound import ShipmentConfirmed
from shared.domain.errors import DomainError
from shared.eventstore.port import UnitOfWork
from shared.messaging.consumer import EventConsumer
from shared.messaging.errors import NotReady, PoisonMessage

CONSUMER_NAME = "order"


@contextmanager
def steered_by_domain() -> Iterator[None]:
    try:
        yield
    except OrderNotFound as exc:
        raise NotReady(f"order {exc.order_id} does not exist yet") from exc
    except DomainError as exc:
        raise PoisonMessage(f"{exc.title}: {exc.detail}") from exc


async def on_cart_checked_out(event: CartCheckedOut, envelope: Envelope, uow: UnitOfWork) -> None:
    await place_order(uow, event)


async def on_payment(event: PaymentFact, envelope: Envelope, uow: UnitOfWork) -> None:
    with steered_by_domain():
        await record_payment(uow, event, envelope.occurred_at)


async def on_order_shipped(event: OrderShipped, envelope: Envelope, uow: UnitOfWork) -> None:
    with steered_by_domain():
        await record_shipment(uow, event, envelope.occurred_at)


async def on_shipment_confirmed(event: ShipmentConfirmed, envelope: Envelope, uow: UnitOfWork) -> None:
    with steered_by_domain():
        await confirm_shipment(uow, event)


def build_order_consumer() -> EventConsumer:
    """A fresh consumer group `order` (one per runtime, so tests and processes never share one)."""
    consumer = EventConsumer(CONSUMER_NAME)
    consumer.handles(CartCheckedOut)(on_cart_checked_out)
    consumer.handles(PaymentAuthorized)(on_payment)
    consumer.handles(PaymentCaptured)(on_payment)
    consumer.handles(PaymentRefunded)(on_payment)
    consumer.handles(PaymentCancelled)(on_payment)
    consumer.handles(PaymentFailed)(on_payment)
    consumer.handles(OrderShipped)(on_order_shipped)
    consumer.handles(ShipmentConfirmed)(on_shipment_confirmed)
    return consumer
