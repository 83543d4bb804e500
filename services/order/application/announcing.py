"""Turns the order's new milestones into integration events, in the same transaction.

Publishing follows the domain events the aggregate recorded (not a before/after comparison), so
`OrderCreated`, `OrderCompleted` and `OrderCancelled` go out exactly once per order (and
`OrderUpdated` once per correction that changed something): the
milestone is recorded once, and its event joins the outbox in the transaction that records it.
"""

from __future__ import annotations

from services.order.domain.events import (
    FulfilmentRequested,
    OrderBecameComplete,
    OrderDetailsCorrected,
    OrderPlaced,
    OrderWasCancelled,
)
from services.order.domain.order import Order
from shared.contracts import events as contracts
from shared.contracts.integration_event import IntegrationEvent
from shared.contracts.values import StockLine
from shared.eventstore.port import UnitOfWork


def announce(uow: UnitOfWork, order: Order) -> None:
    """Queue the integration events of `order`'s unsaved milestones, keyed by the order id."""
    for event in order.peek_pending():
        public: IntegrationEvent | None = None
        match event:
            case OrderPlaced():
                public = contracts.OrderCreated(
                    order_id=order.id,
                    cart_id=event.cart_id,
                    customer=event.customer,
                    items=event.items,
                    totals=event.totals,
                    created_at=event.checked_out_at,
                )
            case OrderBecameComplete():
                public = contracts.OrderCompleted(order_id=order.id)
            case OrderWasCancelled(reason=reason):
                public = contracts.OrderCancelled(order_id=order.id, reason=reason)
            case OrderDetailsCorrected():
                public = contracts.OrderUpdated(
                    order_id=order.id,
                    shipping_address=event.shipping_address,
                    order_number=event.order_number,
                    external_ref=event.external_ref,
                    updated_at=event.at,
                )
            case FulfilmentRequested():
                snapshot = order.snapshot()
                public = contracts.OrderFulfilmentRequested(
                    order_id=order.id,
                    carrier=event.carrier,
                    tracking_reference=event.tracking_reference,
                    shipping_address=snapshot.shipping_address,
                    lines=[
                        StockLine(product_id=line.product_id, quantity=line.quantity)
                        for line in snapshot.items
                        if line.product_id and line.manage_stock and line.quantity > 0
                    ],
                )
        if public is not None:
            uow.publish(public, key=order.id, aggregate_id=order.id, aggregate_version=order.current_version)
