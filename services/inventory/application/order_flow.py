"""Elastic Path's order flow for stock: allocate when payment is attempted (or at checkout under
the reserve policy), release when the payment fails or the order is cancelled, decrement when it
ships. All lines of an order allocate together or not at all, in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from services.inventory.application.levels import announce_level
from services.inventory.domain.allocation import OrderAllocation
from services.inventory.domain.stock import Stock
from shared.contracts import events as contracts
from shared.contracts.envelope import utc_now
from shared.contracts.integration_event import IntegrationEvent
from shared.contracts.values import StockLine
from shared.eventstore.unit_of_work import UnitOfWork


def _merge(lines: Sequence[StockLine]) -> list[StockLine]:
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.product_id] = totals.get(line.product_id, 0) + line.quantity
    return [StockLine(product_id=p, quantity=q) for p, q in sorted(totals.items())]


def _reply(
    uow: UnitOfWork,
    order_id: str,
    request_id: str,
    allocation: OrderAllocation,
    reason: str = "",
    short: list[StockLine] | None = None,
) -> None:
    event: IntegrationEvent
    if allocation.answers.get(request_id):
        event = contracts.StockAllocated(order_id=order_id, request_id=request_id, lines=allocation.lines)
    else:
        event = contracts.StockAllocationFailed(
            order_id=order_id, request_id=request_id, reason=reason or "insufficient stock", short=short or []
        )
    uow.publish(event, key=order_id, aggregate_id=order_id, aggregate_version=allocation.current_version)


async def allocate(
    uow: UnitOfWork, order_id: str, request_id: str, lines: Sequence[StockLine]
) -> OrderAllocation:
    """Allocate every managed line or none; answer the request (once per request id)."""
    allocation = await uow.load(OrderAllocation, order_id)
    now = utc_now()
    if request_id in allocation.answers:
        _reply(uow, order_id, request_id, allocation)  # a repeated request gets the same answer
        return allocation
    if allocation.holds_stock:
        allocation.allocated(request_id, allocation.lines, now)  # already held: the same lines
    elif allocation.state in ("voided", "shipped"):
        allocation.refused(request_id, f"order is {allocation.state}", [], now)
    else:
        stocks = [(line, await uow.load(Stock, line.product_id)) for line in _merge(lines)]
        managed = [(line, stock) for line, stock in stocks if stock.limits_sales]
        short = [
            StockLine(product_id=line.product_id, quantity=line.quantity)
            for line, stock in managed
            if not stock.tracked or stock.available < line.quantity
        ]
        if short:
            allocation.refused(request_id, "insufficient stock", short, now)
            _reply(uow, order_id, request_id, allocation, "insufficient stock", short)
            return allocation
        for line, stock in managed:
            stock.transact("allocate", line.quantity, now, order_id=order_id)
            announce_level(uow, stock)
        allocation.allocated(request_id, [line for line, _ in managed], now)
    _reply(uow, order_id, request_id, allocation, allocation.state)
    return allocation


async def release(uow: UnitOfWork, order_id: str, reason: str, *, void: bool = False) -> OrderAllocation:
    """Give the order's allocation back; `void` (a cancellation) also forbids any later one."""
    allocation = await uow.load(OrderAllocation, order_id)
    now = utc_now()
    if allocation.state == "shipped":
        return allocation
    if allocation.holds_stock:
        lines = allocation.released(reason, now)
        for line in lines:
            stock = await uow.load(Stock, line.product_id)
            stock.transact("deallocate", line.quantity, now, order_id=order_id)
            announce_level(uow, stock)
        uow.publish(
            contracts.StockReleased(order_id=order_id, lines=lines, reason=reason),
            key=order_id,
            aggregate_id=order_id,
            aggregate_version=allocation.current_version,
        )
    if void and allocation.state != "voided":
        allocation.voided(reason, now)
    return allocation


async def ship(uow: UnitOfWork, order_id: str) -> OrderAllocation:
    """The order left: its allocated stock is decremented (allocated and total go down), once."""
    allocation = await uow.load(OrderAllocation, order_id)
    if not allocation.holds_stock:
        return allocation  # nothing held (unmanaged products), or already shipped
    now = utc_now()
    lines = allocation.shipped(now)
    for line in lines:
        stock = await uow.load(Stock, line.product_id)
        stock.transact("ship", line.quantity, now, order_id=order_id)
        announce_level(uow, stock)
    uow.publish(
        contracts.StockDecremented(order_id=order_id, lines=lines),
        key=order_id,
        aggregate_id=order_id,
        aggregate_version=allocation.current_version,
    )
    return allocation


async def mark_paid(uow: UnitOfWork, order_id: str) -> None:
    allocation = await uow.load(OrderAllocation, order_id)
    allocation.mark_paid(utc_now())


def reservation_expired(allocation: OrderAllocation, ttl: timedelta, now: datetime) -> bool:
    return (
        allocation.holds_stock
        and not allocation.paid
        and allocation.allocated_at is not None
        and now - allocation.allocated_at >= ttl
    )
