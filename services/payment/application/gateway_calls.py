"""Calling a gateway exactly once per intent, across crashes.

Each call that can move money is bracketed: `GatewayCallStarted` (with the idempotency key) is
committed before the call, and its outcome with `GatewayCallFinished` after. A crash in between
leaves the call `in_flight`; whoever next holds the transaction's lock reconciles it by asking the
gateway what happened (find the PaymentIntent by metadata, retrieve it, find the refund by its
key) instead of calling again. The gateway also gets the idempotency key, which a real gateway
honours, so even a repeated call would not charge twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from services.payment.application.context import Payments
from services.payment.application.follow_up import follow_up
from services.payment.application.ports import ChargeRequest, GatewayRefused, GatewayUnreachable, Units
from services.payment.domain.errors import GatewayDeclined, GatewayUnavailable
from services.payment.domain.gateway_state import GatewayRefund, GatewayState
from services.payment.domain.transaction import InFlightCall, Transaction
from shared.contracts.envelope import utc_now
from shared.eventstore.port import UnitOfWork

T = TypeVar("T")
Record = Callable[[Transaction, T, datetime], object]
OnRefused = Callable[[Transaction, GatewayRefused, datetime], object]


def charge_request(txn: Transaction) -> ChargeRequest:
    return ChargeRequest(
        transaction_id=txn.id,
        order_id=txn.order_id,
        method=txn.method,
        amount=txn.amount,
        currency=txn.currency,
        payment=txn.payment,
    )


async def call_gateway(
    payments: Payments,
    units: Units,
    txn: Transaction,
    operation: str,
    amount: int | None,
    perform: Callable[[str], Awaitable[T]],
    record: Record[T],
    on_refused: OnRefused | None = None,
    idempotency_key: str | None = None,
) -> Transaction:
    """Record the intent, make the call with its idempotency key, record the outcome.

    `txn` is the transaction as the caller (holding its lock) last read or wrote it: each unit of
    work (run by `units`, the lock's) starts from it (`Units.run`'s `known`), and reads it again
    only if another writer (a webhook, the consumer) appended meanwhile. A gateway that stays in
    the process records no intent: there is no crash between its call and its outcome that would
    leave money moved and unrecorded.
    A refusal is recorded (`on_refused`, e.g. the payment fails) and answered 400; no answer at
    all leaves the call in flight for reconciliation and answers 503. `idempotency_key`: the key a
    client's `Idempotency-Key` gives this call (else one derived from the transaction).
    """
    transaction_id = txn.id
    key = idempotency_key or txn.next_key(operation)
    if payments.gateway(txn.gateway).records_calls:

        async def start(uow: UnitOfWork) -> tuple[Transaction, str]:
            current = await uow.load(Transaction, transaction_id)
            at = utc_now()
            started = idempotency_key or current.next_key(operation)
            current.start_call(operation, started, amount, at)
            await follow_up(uow, current, at)
            return current, started

        txn, key = await units.run(start, known=(txn,))
    try:
        result = await perform(key)
    except GatewayRefused as refusal:
        caught = refusal

        async def refused(uow: UnitOfWork) -> None:
            current = await uow.load(Transaction, transaction_id)
            at = utc_now()
            if on_refused is not None:
                on_refused(current, caught, at)
            current.finish_call(operation, "rejected", at)
            await follow_up(uow, current, at)

        await units.run(refused, known=(txn,))
        raise GatewayDeclined(refusal.message, transaction_id=transaction_id, error=refusal.error) from None
    except GatewayUnreachable as exc:
        raise GatewayUnavailable(transaction_id) from exc

    async def done(uow: UnitOfWork) -> Transaction:
        current = await uow.load(Transaction, transaction_id)
        at = utc_now()
        record(current, result, at)
        current.finish_call(operation, "done", at)
        await follow_up(uow, current, at)
        return current

    return await units.run(done, known=(txn,))


async def reconcile(payments: Payments, units: Units, txn: Transaction) -> Transaction:
    """Settle a call left in flight by a crashed holder of the lock (the caller holds it now)."""
    call = txn.in_flight
    if call is None:
        return txn
    gateway = await payments.current_gateway(txn.gateway)
    try:
        if call.operation == "create":
            found = await gateway.find(charge_request(txn))
            apply = _created(call, found)
        elif call.operation == "refund":
            assert txn.reference is not None
            refund = await gateway.find_refund(txn.reference, call.idempotency_key)
            apply = _refunded(call, refund)
        else:
            assert txn.reference is not None
            apply = _synced(call, await gateway.retrieve(txn.reference))
    except GatewayUnreachable as exc:
        raise GatewayUnavailable(txn.id) from exc
    except GatewayRefused as refusal:
        raise GatewayDeclined(refusal.message, transaction_id=txn.id, error=refusal.error) from None

    async def settle(uow: UnitOfWork) -> Transaction:
        current = await uow.load(Transaction, txn.id)
        if current.in_flight == call:  # else someone settled it meanwhile
            at = utc_now()
            apply(current, at)
            await follow_up(uow, current, at)
        return current

    return await units.run(settle, known=(txn,))


Apply = Callable[[Transaction, datetime], None]


def _created(call: InFlightCall, found: GatewayState | None) -> Apply:
    def apply(txn: Transaction, at: datetime) -> None:
        if found is not None:
            txn.record_reference(found.reference, found.client_secret, at)
        txn.finish_call(call.operation, "done" if found else "not_done", at)

    return apply


def _refunded(call: InFlightCall, refund: GatewayRefund | None) -> Apply:
    def apply(txn: Transaction, at: datetime) -> None:
        if refund is not None:
            txn.record_refund(refund.amount, "automatic", refund.reference, at)
        txn.finish_call(call.operation, "done" if refund else "not_done", at)

    return apply


def _synced(call: InFlightCall, state: GatewayState) -> Apply:
    happened = {
        "confirm": state.stage != "created",
        "capture": state.stage == "captured",
        "cancel": state.stage == "cancelled",
    }.get(call.operation, False)

    def apply(txn: Transaction, at: datetime) -> None:
        txn.merge(state, at)
        txn.finish_call(call.operation, "done" if happened else "not_done", at)

    return apply
