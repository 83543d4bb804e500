"""`POST /v2/orders/{id}/payments`: reserve the balance, allocate the stock, then take the money.

1. One unit of work reserves the order's balance owing for a new transaction, records the request
   and publishes `StockAllocationRequested` (only when the order has stock-managed lines).
2. The request waits for inventory's answer; a refusal fails the transaction with Elastic Path's
   insufficient-stock error before the gateway is ever called.
3. The gateway creates the payment (its id recorded at once) and confirms it; the answer is
   recorded, and a decline fails the transaction and publishes `PaymentFailed` (inventory then
   releases the allocation).

The transaction's lock is held throughout, so the reconciler never mistakes a live payment for
an abandoned one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from services.payment.application.allocation import await_allocation, give_up_allocation, request_allocation
from services.payment.application.context import Payments
from services.payment.application.follow_up import follow_up
from services.payment.application.gateway_calls import call_gateway, charge_request
from services.payment.application.locking import transaction_lock
from services.payment.application.orders import wait_for_order
from services.payment.application.ports import GatewayRefused
from services.payment.application.units import run_on
from services.payment.domain.errors import AllocationTimedOut, InsufficientStock
from services.payment.domain.gateway_state import GatewayState
from services.payment.domain.payable_order import PayableOrder
from services.payment.domain.transaction import PaymentDetails, Transaction
from shared.contracts.envelope import utc_now
from shared.eventstore.database import DbConnection
from shared.eventstore.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Pay:
    order_id: str
    gateway: str
    method: str  # authorize | purchase
    amount: int | None = None  # a split payment; the balance owing when not given
    payment: str | None = None
    name: str = ""
    custom_reference: str = ""


async def pay(payments: Payments, command: Pay) -> Transaction:
    """The transaction as the gateway left it (complete, or pending a shopper's action)."""
    payments.gateway(command.gateway)
    await wait_for_order(payments.database, command.order_id, timeout=payments.order_wait)
    transaction_id = str(uuid4())
    async with transaction_lock(payments.sessions, transaction_id, wait=0) as conn:
        txn = await run_on(payments.database, conn, lambda uow: _start(uow, transaction_id, command))
        if txn.awaiting_allocation:
            txn = await _allocate(payments, conn, txn)
        return await charge(payments, conn, txn)


async def _start(uow: UnitOfWork, transaction_id: str, command: Pay) -> Transaction:
    order = await uow.load(PayableOrder, command.order_id)
    at = utc_now()
    amount = order.reserve(transaction_id, command.amount, at)
    txn = Transaction(transaction_id)
    txn.request(
        PaymentDetails(
            order_id=command.order_id,
            gateway=command.gateway,
            method=command.method,
            amount=amount,
            currency=order.currency,
            payment=command.payment,
            name=command.name,
            custom_reference=command.custom_reference,
            stock_lines=tuple(order.stock_lines),
        ),
        at,
    )
    uow.add(txn)
    if txn.awaiting_allocation:
        request_allocation(uow, txn)
    await follow_up(uow, txn, at)
    return txn


async def _allocate(payments: Payments, conn: DbConnection, txn: Transaction) -> Transaction:
    database = payments.database
    txn = await await_allocation(database, conn, payments.replies, txn.id, payments.allocation_timeout)
    if txn.awaiting_allocation:
        await give_up_allocation(database, conn, txn.id)
        raise AllocationTimedOut(txn.id)
    if txn.allocation == "refused":
        raise InsufficientStock(txn.id, txn.short)
    return txn


async def charge(payments: Payments, conn: DbConnection, txn: Transaction) -> Transaction:
    """Create the payment at the gateway (unless it exists) and confirm it (unless settled)."""
    gateway = payments.gateway(txn.gateway)
    request = charge_request(txn)
    if txn.reference is None:
        txn = await call_gateway(
            payments,
            conn,
            txn.id,
            "create",
            None,
            lambda key: gateway.prepare(request, key),
            _record_reference,
            _fail,
        )
    if txn.ready_to_charge and txn.reference is not None:
        reference = txn.reference
        txn = await call_gateway(
            payments,
            conn,
            txn.id,
            "confirm",
            None,
            lambda key: gateway.confirm(reference, request, key),
            _merge,
            _fail,
        )
    return txn


def _record_reference(txn: Transaction, state: GatewayState, at: datetime) -> None:
    txn.record_reference(state.reference, state.client_secret, at)


def _merge(txn: Transaction, state: GatewayState, at: datetime) -> None:
    txn.merge(state, at)


def _fail(txn: Transaction, refusal: GatewayRefused, at: datetime) -> None:
    txn.record_failed(refusal.code, refusal.message, at)
