"""The order flow's handlers: load the order's allocation and the stock it touches, let the domain
decide (`order_stock`), publish what happened. One call is one unit of work: every product of an
order moves, or none does, and the reply commits with the movements.

The aggregates are loaded allocation first, then products in id order, so concurrent handlers lock
streams in the same order; a handler that loses a race gets ConcurrencyError and is re-run from a
fresh read (`Database.run`, or the consumer's retry), which is how the last unit goes to one order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from services.inventory.application.levels import announce_level
from services.inventory.domain import order_stock
from services.inventory.domain.allocation import Answer, OrderAllocation, Release
from services.inventory.domain.stock import Stock
from shared.contracts import events as contracts
from shared.contracts.envelope import utc_now
from shared.contracts.integration_event import IntegrationEvent
from shared.contracts.values import StockLine
from shared.eventstore.port import UnitOfWork


async def allocate(uow: UnitOfWork, order_id: str, request_id: str, lines: Iterable[StockLine]) -> Answer:
    """Allocate the order's managed lines, all or none, and answer `StockAllocated` or
    `StockAllocationFailed` (the same answer again for a repeated request)."""
    lines = list(lines)
    allocation, stocks = await _load(uow, order_id, lines)
    answer = order_stock.allocate(allocation, stocks, request_id, lines, utc_now())
    _settle(uow, allocation, stocks)
    _reply(uow, allocation, answer)
    return answer


async def request_allocation(uow: UnitOfWork, request: contracts.StockAllocationRequested) -> Answer:
    """`StockAllocationRequested`: the shopper attempts to pay."""
    return await allocate(uow, request.order_id, request.request_id, request.lines)


async def reserve_at_checkout(uow: UnitOfWork, checkout: contracts.CartCheckedOut, ttl: timedelta) -> Answer:
    """`CartCheckedOut` under the reserve policy: hold the order's stock until paid, or `ttl`."""
    lines = checkout_lines(checkout)
    allocation, stocks = await _load(uow, checkout.order_id, lines)
    now = utc_now()
    answer = order_stock.reserve(allocation, stocks, lines, now, now + ttl)
    _settle(uow, allocation, stocks)
    _reply(uow, allocation, answer)
    return answer


def checkout_lines(checkout: contracts.CartCheckedOut) -> list[StockLine]:
    """The product lines of a checked-out cart. Every product line goes in, whatever the cart
    believed about `manage_stock`: inventory is the authority on which products it manages."""
    return [
        StockLine(product_id=line.product_id, quantity=line.quantity)
        for line in checkout.items
        if line.type == "cart_item" and line.product_id and line.quantity > 0
    ]


async def cancel(uow: UnitOfWork, order_id: str) -> None:
    """`OrderCancelled`: release what the order holds; a later allocation request is refused."""
    allocation, stocks = await _load_held(uow, order_id)
    released = order_stock.cancel(allocation, stocks, utc_now())
    _settle(uow, allocation, stocks, released=released)


async def payment_failed(uow: UnitOfWork, order_id: str, transaction_id: str) -> None:
    """`PaymentFailed`: release the allocation made for that payment (see `order_stock.fail_payment`)."""
    allocation, stocks = await _load_held(uow, order_id)
    released = order_stock.fail_payment(allocation, stocks, transaction_id, utc_now())
    _settle(uow, allocation, stocks, released=released)


async def expire_reservation(uow: UnitOfWork, order_id: str) -> bool:
    """Release the order's checkout reservation if it is unpaid past its deadline."""
    allocation, stocks = await _load_held(uow, order_id)
    released = order_stock.expire(allocation, stocks, utc_now())
    _settle(uow, allocation, stocks, released=released)
    return released is not None


async def mark_paid(uow: UnitOfWork, order_id: str) -> None:
    """`PaymentAuthorized`/`PaymentCaptured`: the allocation is the customer's now."""
    allocation = await uow.load(OrderAllocation, order_id)
    allocation.mark_paid(utc_now())


async def ship(uow: UnitOfWork, order_id: str) -> None:
    """`OrderShipped`: decrement the order's allocation, once (`StockDecremented`)."""
    allocation, stocks = await _load_held(uow, order_id)
    shipped = order_stock.ship(allocation, stocks, utc_now())
    _settle(uow, allocation, stocks)
    if shipped is not None:
        _publish(uow, allocation, contracts.StockDecremented(order_id=allocation.id, lines=list(shipped)))


# -- plumbing -------------------------------------------------------------------------------


async def _load(
    uow: UnitOfWork, order_id: str, lines: Iterable[StockLine]
) -> tuple[OrderAllocation, dict[str, Stock]]:
    """For an allocation or a reservation: the order's first, as a rule (`load_new`)."""
    allocation = await uow.load_new(OrderAllocation, order_id)
    stocks = {p: await uow.load(Stock, p) for p in order_stock.products_of(lines)}
    return allocation, stocks


async def _load_held(uow: UnitOfWork, order_id: str) -> tuple[OrderAllocation, dict[str, Stock]]:
    allocation = await uow.load(OrderAllocation, order_id)
    stocks = {p: await uow.load(Stock, p) for p in order_stock.products_of(allocation.lines)}
    return allocation, stocks


def _settle(
    uow: UnitOfWork,
    allocation: OrderAllocation,
    stocks: dict[str, Stock],
    *,
    released: Release | None = None,
) -> None:
    """Announce the level of every product that moved, and a release if there was one."""
    for stock in stocks.values():
        if stock.peek_pending():
            announce_level(uow, stock)
    if released is not None:
        _publish(
            uow,
            allocation,
            contracts.StockReleased(
                order_id=allocation.id, lines=list(released.lines), reason=released.reason
            ),
        )


def _reply(uow: UnitOfWork, allocation: OrderAllocation, answer: Answer) -> None:
    event: IntegrationEvent
    if answer.allocated:
        event = contracts.StockAllocated(
            order_id=allocation.id, request_id=answer.request_id, lines=list(answer.lines)
        )
    else:
        event = contracts.StockAllocationFailed(
            order_id=allocation.id,
            request_id=answer.request_id,
            reason=answer.reason,
            short=list(answer.short),
        )
    _publish(uow, allocation, event)


def _publish(uow: UnitOfWork, allocation: OrderAllocation, event: IntegrationEvent) -> None:
    uow.publish(
        event, key=allocation.id, aggregate_id=allocation.id, aggregate_version=allocation.current_version
    )
