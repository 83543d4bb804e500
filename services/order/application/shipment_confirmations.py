"""A 3PL's `ShipmentConfirmed`: flag the order `fulfilled` exactly as an admin's `PUT` does.

The order is the one place that knows whether it is paid and not cancelled, so the confirmation
goes through the same `request_fulfilment` as `PUT /v2/orders/:id`: a paid order announces
`OrderFulfilmentRequested` with the carrier and tracking, fulfilment records the shipment with them
and announces `OrderShipped`. A refusal raises (`OrderCannotBeFulfilled`); the consumer dead-letters
the message with that reason, and nothing is written. An order already flagged (an admin's `PUT`
came first) keeps the confirmation's carrier and tracking for its read (`ShipmentTracked`); the
same confirmation again changes nothing.
"""

from __future__ import annotations

from services.order.application.announcing import announce
from services.order.domain.order import Order
from shared.contracts.envelope import utc_now
from shared.contracts.inbound import ShipmentConfirmed
from shared.eventstore.port import UnitOfWork


async def confirm_shipment(uow: UnitOfWork, confirmation: ShipmentConfirmed) -> Order:
    """Raises OrderNotFound (not placed yet) or OrderCannotBeFulfilled (unpaid, cancelled)."""
    order = await uow.load(Order, confirmation.order_id)
    order.confirm_shipment(utc_now(), confirmation.carrier, confirmation.tracking_reference)
    announce(uow, order)
    return order
