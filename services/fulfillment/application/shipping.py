"""Ship to a corrected address; dispatch the shipment when the order service accepts `fulfilled`."""

from __future__ import annotations

from services.fulfillment.domain.shipment import Shipment
from shared.contracts import events as contracts
from shared.contracts.envelope import utc_now
from shared.eventstore.port import UnitOfWork


async def correct_address(uow: UnitOfWork, update: contracts.OrderUpdated, order_version: int) -> Shipment:
    """`order_version`: the envelope's `aggregate_version`, the order's version that corrected it."""
    shipment = await uow.load(Shipment, update.order_id)
    shipment.correct_address(update.shipping_address, order_version, utc_now())
    return shipment


async def dispatch(uow: UnitOfWork, request: contracts.OrderFulfilmentRequested) -> Shipment:
    """The request normally starts the shipment's stream (`load_new`: no read first); a stream a
    correction or an earlier request began fails the presumption, and the unit runs again from it."""
    shipment = await uow.load_new(Shipment, request.order_id)
    if shipment.dispatch(
        request.shipping_address, request.lines, utc_now(), request.carrier, request.tracking_reference
    ):
        uow.publish(
            contracts.OrderShipped(
                order_id=request.order_id,
                carrier=request.carrier,
                tracking_reference=request.tracking_reference,
            ),
            key=request.order_id,
            aggregate_id=request.order_id,
            aggregate_version=shipment.current_version,
        )
    return shipment
