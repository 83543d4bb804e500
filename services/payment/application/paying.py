"""`POST /v2/orders/{id}/payments`: reserve the balance, allocate the stock, then take the money.

1. One unit of work reserves the order's balance owing for a new transaction, records the request
   and publishes `StockAllocationRequested` (only when the order has stock-managed lines).
2. The request waits for inventory's answer; a refusal fails the transaction with Elastic Path's
   insufficient-stock error before the gateway is ever called.
3. The gateway creates the payment (its id recorded at once) and confirms it; the answer is
   recorded, and a decline fails the transaction and publishes `PaymentFailed` (inventory then
   releases the allocation).

The transaction is held throughout, so the reconciler never mistakes a live payment for an
abandoned one: by its lock in the database, or, through a gateway that stays in the process
(`manual`), by this process alone (`TransactionLocks.owned`, two round trips less), its index row
naming the process. Such a gateway is created and confirmed in one unit of work: nothing leaves
the process, so no crash can fall between moving money and recording it, and the units of one
payment are kept apart by their appends alone. With stock to allocate, that unit is the consumer's
that records inventory's answer (`allocation.record_reply`), so the request wakes to the complete
payment (step 3 is then only its answer). When there is no stock to allocate either, the
whole payment is that one unit of work, and needs no hold: nothing of it is visible before it is
complete.

With a client's `Idempotency-Key` the transaction's id is derived from the key and each Stripe call
carries a key derived from it (`keyed_retries`): a retry whose first attempt died after its effect
finds that transaction and resumes it (reconcile a call in flight, finish what is left) instead of
charging again, and answers it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from services.payment.application.allocation import (
    ALLOCATION_TIMED_OUT,
    await_allocation,
    give_up_allocation,
    request_allocation,
)
from services.payment.application.context import Payments
from services.payment.application.follow_up import follow_up
from services.payment.application.gateway_calls import call_gateway, charge_request, reconcile
from services.payment.application.in_process_charge import (
    charges_in_process,
    create_and_confirm,
    fail,
    merge,
    record_reference,
)
from services.payment.application.keyed_retries import GatewayKeys, call_made, raise_if_failed
from services.payment.application.orders import wait_for_order
from services.payment.application.ports import Gateway, Units
from services.payment.domain.errors import (
    AllocationTimedOut,
    InsufficientStock,
    ManualPaymentNeedsAdmin,
)
from services.payment.domain.gateway_settings import MANUAL, GatewaySettings
from services.payment.domain.payable_order import PayableOrder
from services.payment.domain.transaction import PaymentDetails, Transaction
from shared.contracts.envelope import utc_now
from shared.domain.errors import DomainError
from shared.eventstore.port import UnitOfWork


@dataclass(frozen=True)
class Pay:
    order_id: str
    gateway: str
    method: str  # authorize | purchase
    amount: int | None = None  # a split payment; the balance owing when not given
    payment: str | None = None
    name: str = ""
    custom_reference: str = ""
    by_admin: bool = False  # a client_credentials token asked
    transaction_id: str | None = None  # derived from an Idempotency-Key: a retry resumes it
    gateway_keys: GatewayKeys | None = None  # the gateway calls' keys, from the Idempotency-Key


async def pay(
    payments: Payments,
    command: Pay,
    order: PayableOrder | None = None,
    gateway_settings: GatewaySettings | None = None,
) -> Transaction:
    """The transaction as the gateway left it (complete, or pending a shopper's action).

    `order`: the payable order if the caller has just read it (opened), else it is waited for;
    `gateway_settings`: the gateway's configuration if read with it (`wait_for_order_and_gateway`).
    Nothing is recorded for a payment the caller may not make, or through a disabled gateway.
    """
    if order is None or not order.opened:
        order = await wait_for_order(payments.database, command.order_id, timeout=payments.order_wait)
    _check_payer(command, order)
    if command.transaction_id is not None:
        made = await payments.database.read(Transaction, command.transaction_id)
        if made.exists:
            return await _resume(payments, made, command)
    gateway = await payments.enabled_gateway(command.gateway, gateway_settings)
    transaction_id = command.transaction_id or str(uuid4())
    if charges_in_process(gateway):
        if not order.stock_lines:
            return await _pay_at_once(payments, gateway, transaction_id, command, order)
        owner: str | None = payments.locks.owner
        hold = payments.locks.owned(transaction_id, wait=0)
    else:
        owner = None
        hold = payments.locks.held(transaction_id, wait=0)
    async with hold as units:
        txn = await units.run(lambda uow: _request(uow, transaction_id, command, owner), known=(order,))
        if txn.awaiting_allocation:
            txn = await _allocate(payments, units, txn)
        return await charge(payments, units, txn, command.gateway_keys)


async def _resume(payments: Payments, txn: Transaction, command: Pay) -> Transaction:
    """The payment an earlier attempt with the same Idempotency-Key made, taken as far as it can go:
    a call cut short is reconciled with the gateway, stock still awaited is waited for, and what is
    left of the charge is done (never a confirm that was already made); a failed one answers its
    failure again."""
    if txn.order_id != command.order_id:
        raise DomainError(
            "This Idempotency-Key was used for a payment of another order: use a new key",
            source="Idempotency-Key",
        )
    async with payments.locks.held(txn.id, wait=payments.lock_wait) as units:
        txn = await payments.database.read(Transaction, txn.id)
        if txn.in_flight is not None:
            txn = await reconcile(payments, units, txn)
        if txn.awaiting_allocation:
            txn = await _allocate(payments, units, txn)
        if txn.ready_to_charge and not await _confirmed(payments, txn, command.gateway_keys):
            txn = await charge(payments, units, txn, command.gateway_keys)
    raise_if_failed(txn)
    return txn


async def _confirmed(payments: Payments, txn: Transaction, keys: GatewayKeys | None) -> bool:
    """Whether the gateway confirmed this payment already (it may still await the shopper, 3-D Secure)."""
    if keys is None or not payments.gateway(txn.gateway).records_calls:
        return False
    return await call_made(payments.database, txn, "confirm", keys("confirm"))


def _check_payer(command: Pay, order: PayableOrder) -> None:
    """A manual purchase says "the money has been received, outside the platform": the merchant's
    word, never a shopper's, or anyone could mark an order paid without paying. A shopper may
    `authorize` a manual payment (the order waits, its stock held) for an admin to capture. An
    order whose total is 0 owes nothing, so anyone may complete it with a manual purchase of 0."""
    manual_purchase = command.gateway == MANUAL and command.method == "purchase"
    if manual_purchase and not command.by_admin and order.total > 0:
        raise ManualPaymentNeedsAdmin(order.id)


async def _request(uow: UnitOfWork, transaction_id: str, command: Pay, owner: str | None) -> Transaction:
    at = utc_now()
    txn = await _start(uow, transaction_id, command, at)
    await follow_up(uow, txn, at, owner=owner)
    return txn


async def _start(uow: UnitOfWork, transaction_id: str, command: Pay, at: datetime) -> Transaction:
    """Reserve the amount and record the request (and the allocation request, if stock is managed)."""
    order = await uow.load(PayableOrder, command.order_id)
    amount = order.reserve(transaction_id, command.amount, at, gateway=command.gateway)
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
    return txn


async def _pay_at_once(
    payments: Payments, gateway: Gateway, transaction_id: str, command: Pay, order: PayableOrder
) -> Transaction:
    """Request, create and confirm in one unit of work (an in-process gateway, no stock to allocate).

    A retry after a conflict (another payment of the order won) calls the gateway again: harmless,
    since an in-process gateway only answers.
    """

    async def pay_now(uow: UnitOfWork) -> tuple[Transaction, DomainError | None]:
        at = utc_now()
        txn = await _start(uow, transaction_id, command, at)
        problem = await create_and_confirm(gateway, txn, at)
        await follow_up(uow, txn, at, index_reference=False)
        return txn, problem

    txn, problem = await payments.locks.unlocked().run(pay_now, known=(order,))
    if problem is not None:
        raise problem
    return txn


async def _allocate(payments: Payments, units: Units, txn: Transaction) -> Transaction:
    txn = await await_allocation(payments.database, txn, payments.allocation_timeout)
    if txn.awaiting_allocation:
        txn = await give_up_allocation(units, txn.id)
        if txn.failure_code == ALLOCATION_TIMED_OUT:
            raise AllocationTimedOut(txn.id)
        # else inventory's answer came in while the wait ended: it stands
    if txn.allocation == "refused":
        raise InsufficientStock(txn.id, txn.short)
    return txn


async def charge(
    payments: Payments, units: Units, txn: Transaction, keys: GatewayKeys | None = None
) -> Transaction:
    """Create the payment at the gateway (unless it exists) and confirm it (unless settled).

    `keys`: the calls' idempotency keys when the client gave one (else derived from the transaction).
    """
    gateway = payments.gateway(txn.gateway)
    if charges_in_process(gateway):
        if not txn.ready_to_charge:  # charged with inventory's answer (`record_reply`), or failed
            raise_if_failed(txn)
            return txn
        return await _charge_in_process(units, gateway, txn)
    request = charge_request(txn)
    if txn.reference is None:
        txn = await call_gateway(
            payments,
            units,
            txn,
            "create",
            None,
            lambda key: gateway.prepare(request, key),
            record_reference,
            fail,
            keys("create") if keys else None,
        )
    if txn.ready_to_charge and txn.reference is not None:
        reference = txn.reference
        txn = await call_gateway(
            payments,
            units,
            txn,
            "confirm",
            None,
            lambda key: gateway.confirm(reference, request, key),
            merge,
            fail,
            keys("confirm") if keys else None,
        )
    return txn


async def _charge_in_process(units: Units, gateway: Gateway, txn: Transaction) -> Transaction:
    """Create and confirm in one unit of work, for a gateway that does not leave the process."""
    transaction_id = txn.id

    async def charge_now(uow: UnitOfWork) -> tuple[Transaction, DomainError | None]:
        current = await uow.load(Transaction, transaction_id)
        if not current.ready_to_charge:
            return current, None  # settled meanwhile: a retry with its key, or failed by the reconciler
        at = utc_now()
        problem = await create_and_confirm(gateway, current, at)
        await follow_up(uow, current, at, index_reference=False)
        return current, problem

    txn, problem = await units.run(charge_now, known=(txn,))
    if problem is not None:
        raise problem
    raise_if_failed(txn)
    return txn
