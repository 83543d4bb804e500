"""Charging through a gateway that stays in the process (`manual`), and recording any gateway's
answers on the transaction.

Such a gateway is created and confirmed in the unit of work that asks: nothing leaves the process,
so no crash can fall between moving money and recording it. That unit may be the payment request's
own, or the consumer's that takes inventory's `StockAllocated`: the payment is then complete when
the waiting request wakes, one unit of work and one wake-up fewer on its way.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeGuard

from services.payment.application.gateway_calls import charge_request
from services.payment.application.ports import Gateway, GatewayRefused, GatewayUnreachable
from services.payment.domain.errors import GatewayDeclined, GatewayUnavailable
from services.payment.domain.gateway_state import GatewayState
from services.payment.domain.transaction import Transaction
from shared.domain.errors import DomainError


def charges_in_process(gateway: Gateway | None) -> TypeGuard[Gateway]:
    """Whether the gateway answers without leaving the process (so needs no call bracketing)."""
    return gateway is not None and not gateway.records_calls


async def create_and_confirm(gateway: Gateway, txn: Transaction, at: datetime) -> DomainError | None:
    """Ask an in-process gateway to create and confirm `txn`'s payment, recording its answers.

    Returns the error to answer once they are saved: a refusal fails the transaction (400); no
    answer leaves it pending, for the reconciler to finish (503).
    """
    request = charge_request(txn)
    try:
        if txn.reference is None:
            record_reference(txn, await gateway.prepare(request, txn.next_key("create")), at)
        if txn.ready_to_charge and txn.reference is not None:
            merge(txn, await gateway.confirm(txn.reference, request, txn.next_key("confirm")), at)
    except GatewayRefused as refusal:
        fail(txn, refusal, at)
        return GatewayDeclined(refusal.message, transaction_id=txn.id, error=refusal.error)
    except GatewayUnreachable:
        return GatewayUnavailable(txn.id)
    return None


def record_reference(txn: Transaction, state: GatewayState, at: datetime) -> None:
    txn.record_reference(state.reference, state.client_secret, at)


def merge(txn: Transaction, state: GatewayState, at: datetime) -> None:
    txn.merge(state, at)


def fail(txn: Transaction, refusal: GatewayRefused, at: datetime) -> None:
    txn.record_failed(refusal.code, refusal.message, at)
