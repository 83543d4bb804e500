"""An admin cancels an order (`PUT /v2/orders/:id` with `status: cancelled`); nothing is refunded."""

from __future__ import annotations

from dataclasses import dataclass

from services.order.application.announcing import announce
from services.order.domain.order import Order
from shared.contracts.envelope import utc_now
from shared.eventstore.port import UnitOfWork


@dataclass(frozen=True)
class CancelOrder:
    order_id: str
    reason: str = ""


async def cancel_order(uow: UnitOfWork, command: CancelOrder) -> Order:
    """Cancel and publish `OrderCancelled` once; cancelling again is a no-op.

    Raises OrderNotFound (404) or FulfilledOrderCannotBeCancelled (422).
    """
    order = await uow.load(Order, command.order_id)
    order.cancel(command.reason, utc_now())
    announce(uow, order)
    return order
