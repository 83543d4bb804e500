"""Elastic Path's order flow for stock, over an order's allocation and its products' stock (pure).

Allocate when payment is attempted (or at checkout under the reserve policy): every managed line
or none, unmanaged products pass without allocation. A payment attempt on an order that already
holds stock (its reservation, or an earlier attempt's allocation) is answered from it and takes it
over. Release when the order is cancelled, when the payment holding the allocation fails, or when
a checkout reservation expires before any payment attempt. Decrement when the order ships.

The caller loads the aggregates (`products_of` says which) and saves them in one unit of work, so
an order touching several products is all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from services.inventory.domain.allocation import Answer, OrderAllocation, Release
from services.inventory.domain.policy import CHECKOUT_REQUEST
from services.inventory.domain.stock import Stock
from shared.contracts.values import StockLine

Stocks = Mapping[str, Stock]

INSUFFICIENT_STOCK = "insufficient stock"
ORDER_CANCELLED = "order cancelled"
PAYMENT_FAILED = "payment failed"
RESERVATION_EXPIRED = "reservation expired"
LATE_CHECKOUT = "checked out after the order's allocation was released"


def merged(lines: Iterable[StockLine]) -> list[StockLine]:
    """One line per product, sorted by product id: the order streams are locked in, always the
    same, so two orders sharing products never wait on each other in opposite orders."""
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.product_id] = totals.get(line.product_id, 0) + line.quantity
    return [StockLine(product_id=p, quantity=q) for p, q in sorted(totals.items())]


def products_of(lines: Iterable[StockLine]) -> list[str]:
    """The products whose stock a command on these lines needs, in locking order."""
    return [line.product_id for line in merged(lines)]


def allocate(
    allocation: OrderAllocation,
    stocks: Stocks,
    request_id: str,
    lines: Iterable[StockLine],
    at: datetime,
    *,
    expires_at: datetime | None = None,
) -> Answer:
    """Answer one allocation request, once: the same request again gets the same answer."""
    previous = allocation.answer_to(request_id)
    if previous is not None:
        return previous
    if request_id in allocation.failed_payments:
        return allocation.refused(request_id, PAYMENT_FAILED, [], at)
    if allocation.state == "voided":
        return allocation.refused(request_id, ORDER_CANCELLED, [], at)
    if allocation.state == "shipped":
        return allocation.confirmed(request_id, at)
    if allocation.state == "allocated":  # already held: never twice for one order
        return allocation.confirmed(request_id, at, claimed=request_id != CHECKOUT_REQUEST)
    held = [line for line in merged(lines) if stocks[line.product_id].limits_sales]
    short = [line for line in held if stocks[line.product_id].available < line.quantity]
    if short:
        return allocation.refused(request_id, INSUFFICIENT_STOCK, short, at)
    for line in held:
        stocks[line.product_id].allocate_for(allocation.id, line.quantity, at)
    deadline = expires_at if held else None  # nothing held, nothing to expire
    return allocation.allocated(request_id, held, at, deadline)


def reserve(
    allocation: OrderAllocation,
    stocks: Stocks,
    lines: Iterable[StockLine],
    at: datetime,
    expires_at: datetime,
) -> Answer:
    """The checkout reservation (reserve policy), held until `expires_at` unless paid first. A
    checkout that arrives after the order's payment allocation was already released must not
    hold stock again; one that arrives after the payment holds it with no deadline."""
    if allocation.state == "released" and allocation.answer_to(CHECKOUT_REQUEST) is None:
        return allocation.refused(CHECKOUT_REQUEST, LATE_CHECKOUT, [], at)
    deadline = None if allocation.paid else expires_at
    return allocate(allocation, stocks, CHECKOUT_REQUEST, lines, at, expires_at=deadline)


def release(allocation: OrderAllocation, stocks: Stocks, reason: str, at: datetime) -> Release | None:
    """Give back what the order holds; None when it holds nothing."""
    if not allocation.holds_stock:
        return None
    release = allocation.released(reason, at)
    for line in release.lines:
        stocks[line.product_id].release_for(allocation.id, line.quantity, at)
    return release


def cancel(allocation: OrderAllocation, stocks: Stocks, at: datetime) -> Release | None:
    """The order was cancelled: release, and refuse any allocation for it from now on."""
    if allocation.state == "shipped":
        return None  # shipped stock is gone; the order service does not cancel shipped orders
    released = release(allocation, stocks, ORDER_CANCELLED, at)
    allocation.voided(ORDER_CANCELLED, at)
    return released


def fail_payment(
    allocation: OrderAllocation, stocks: Stocks, transaction_id: str, at: datetime
) -> Release | None:
    """A payment failed: release the allocation if that payment holds it (made it, or took it
    over), unless the order is paid; not a reservation no payment has claimed yet."""
    allocation.payment_failed(transaction_id, at)
    if allocation.allocated_by != transaction_id or allocation.paid:
        return None
    return release(allocation, stocks, PAYMENT_FAILED, at)


def expire(allocation: OrderAllocation, stocks: Stocks, now: datetime) -> Release | None:
    """Release a checkout reservation not paid by its deadline."""
    if not allocation.reservation_expired(now):
        return None
    return release(allocation, stocks, RESERVATION_EXPIRED, now)


def ship(allocation: OrderAllocation, stocks: Stocks, at: datetime) -> tuple[StockLine, ...] | None:
    """The order shipped: decrement what it holds (allocated and total go down), once."""
    if allocation.state in ("shipped", "voided"):
        return None
    lines = allocation.shipped(at)
    for line in lines:
        stocks[line.product_id].ship_for(allocation.id, line.quantity, at)
    return lines
