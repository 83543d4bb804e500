"""What the payment service finishes after the fact, on the in-memory database (the fast tier):
the reconciler taking over transactions whose request died (waiting for stock, or with a gateway
call in flight) and leaving live ones alone; gateway webhooks merged once, by the transaction's id
or the gateway's reference; and the gateways' configuration."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from services.payment.application.gateway_config import (
    list_gateways,
    read_gateway,
    seed_gateways,
    update_gateway,
)
from services.payment.application.paying import Pay, pay
from services.payment.application.ports import GatewayEvent, OpenTransaction
from services.payment.application.reconciler import reconcile_open_transactions
from services.payment.application.webhooks import EventEffect, apply_gateway_event
from services.payment.domain.errors import GatewayNotFound
from services.payment.domain.gateway_settings import MANUAL
from services.payment.domain.gateway_state import GatewayState
from services.payment.domain.payable_order import PayableOrder
from services.payment.domain.transaction import Transaction
from tests.fast.memory import published
from tests.fast.payment_world import STRIPE, World, checked_out, died_while, line, seeded, world


@pytest.fixture
async def w() -> World:
    return await seeded(world(allocation_timeout=5.0))


def topics(w: World) -> list[str]:
    return [topic for topic, _ in published(w.database)]


async def test_a_payment_abandoned_while_waiting_for_stock_is_failed_and_released(w: World) -> None:
    order_id = await checked_out(w.database, line("shoe", 1, 3000, managed=True))
    txn = await died_while(w, Pay(order_id, MANUAL, "authorize"), lambda: bool(w.tables.open))
    assert txn.awaiting_allocation and not w.locks.holding(txn.id)
    assert await reconcile_open_transactions(w.payments) == 1
    txn = await w.database.read(Transaction, txn.id)
    assert (txn.status, txn.failure_code) == ("failed", "abandoned")
    assert topics(w) == ["StockAllocationRequested", "PaymentFailed"]  # inventory releases its stock
    assert (await w.database.read(PayableOrder, order_id)).balance_owing == 3000
    assert not w.tables.open
    assert await reconcile_open_transactions(w.payments) == 0


async def test_a_call_left_in_flight_is_settled_from_the_gateway_s_records(w: World) -> None:
    w.stripe.hang["confirm"] = asyncio.Event()
    order_id = await checked_out(w.database)
    txn = await died_while(w, Pay(order_id, STRIPE, "purchase"), lambda: len(w.stripe.calls) == 2)
    assert txn.in_flight is not None and txn.in_flight.operation == "confirm"
    reference = txn.reference or ""
    w.stripe.payments[reference] = GatewayState("captured", reference, authorized=10000, captured=10000)
    assert await reconcile_open_transactions(w.payments) == 1
    txn = await w.database.read(Transaction, txn.id)
    assert (txn.status, txn.captured, txn.in_flight) == ("complete", 10000, None)
    assert topics(w) == ["PaymentCaptured"] and not w.tables.open
    assert len(w.stripe.calls) == 2  # asked what happened; never charged again


async def test_an_unconfirmed_gateway_payment_is_voided_and_the_transaction_failed(w: World) -> None:
    w.stripe.hang["confirm"] = asyncio.Event()
    order_id = await checked_out(w.database)
    txn = await died_while(w, Pay(order_id, STRIPE, "purchase"), lambda: len(w.stripe.calls) == 2)
    w.stripe.hang.clear()  # the confirm never reached the gateway: its payment is still `created`
    assert await reconcile_open_transactions(w.payments) == 1
    txn = await w.database.read(Transaction, txn.id)
    assert (txn.status, txn.failure_code) == ("failed", "abandoned")
    assert w.stripe.calls[-1] == ("cancel", f"{txn.id}:abandon")
    assert topics(w) == ["PaymentFailed"]


async def test_the_reconciler_leaves_a_transaction_someone_holds(w: World) -> None:
    order_id = await checked_out(w.database, line("shoe", 1, 3000, managed=True))
    txn = await died_while(w, Pay(order_id, MANUAL, "authorize"), lambda: bool(w.tables.open))
    async with w.locks.held(txn.id, wait=0):
        assert await reconcile_open_transactions(w.payments) == 0
    assert list(w.tables.open) == [txn.id]


async def test_an_index_row_without_a_transaction_is_forgotten(w: World) -> None:
    w.tables.open["ghost"] = OpenTransaction("ghost", "o", STRIPE, datetime(2026, 1, 1, tzinfo=UTC))
    assert await reconcile_open_transactions(w.payments) == 1
    assert not w.tables.open and published(w.database) == []


async def test_a_webhook_is_merged_once_found_by_its_reference(w: World) -> None:
    w.stripe.three_d_secure = True
    order_id = await checked_out(w.database)
    txn = await pay(w.payments, Pay(order_id, STRIPE, "authorize"))
    reference = txn.reference or ""
    event = GatewayEvent("evt_1", GatewayState("authorized", reference, authorized=10000))
    assert await apply_gateway_event(w.database, STRIPE, event) is EventEffect.CHANGED
    assert await apply_gateway_event(w.database, STRIPE, event) is EventEffect.DUPLICATE
    again = GatewayEvent("evt_2", GatewayState("authorized", reference, authorized=10000), txn.id)
    assert await apply_gateway_event(w.database, STRIPE, again) is EventEffect.UNCHANGED
    assert (await w.database.read(Transaction, txn.id)).status == "complete"
    assert topics(w) == ["PaymentAuthorized"]


async def test_a_webhook_about_someone_else_s_payment_changes_nothing(w: World) -> None:
    stranger = GatewayEvent("evt_9", GatewayState("captured", "pi_not_ours", captured=5))
    assert await apply_gateway_event(w.database, STRIPE, stranger) is EventEffect.NOT_OURS
    order_id = await checked_out(w.database)
    txn = await pay(w.payments, Pay(order_id, MANUAL, "authorize"))
    other_gateway = GatewayEvent("evt_10", GatewayState("captured", "manual", captured=5), txn.id)
    assert await apply_gateway_event(w.database, STRIPE, other_gateway) is EventEffect.NOT_OURS
    assert topics(w) == ["PaymentAuthorized"]


async def test_the_gateways_configuration_is_seeded_once_and_changed_by_an_admin(w: World) -> None:
    await seed_gateways(w.database, {STRIPE: (False, "sk_other")})  # seeded already: left alone
    assert [(g.slug, g.enabled) for g in await list_gateways(w.database)] == [(MANUAL, True), (STRIPE, True)]
    await update_gateway(w.database, STRIPE, None, "sk_new")
    await w.payments.current_gateway(STRIPE)
    assert w.stripe.login == "sk_new"
    await update_gateway(w.database, MANUAL, False, None)
    assert not (await read_gateway(w.database, MANUAL)).enabled
    with pytest.raises(GatewayNotFound):
        await read_gateway(w.database, "paypal")
