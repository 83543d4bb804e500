"""What the payment service learns about orders and stock from Kafka, and how a payment waits for
it, on the in-memory database (the fast tier): the consumer's handlers (`open_order`,
`note_cancelled`, `record_reply`), a payment arriving before its checkout was consumed, split
payments against the balance owing, and a cancelled order refusing new payments."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest

from services.payment.application.allocation import record_reply
from services.payment.application.orders import note_cancelled, wait_for_order, wait_for_order_and_gateway
from services.payment.application.paying import Pay, pay
from services.payment.application.reading import load_transaction
from services.payment.domain.errors import (
    CancelledOrderCannotBePaid,
    OrderAlreadyPaid,
    OrderNotFound,
    PaymentAmountInvalid,
    TransactionNotFound,
)
from services.payment.domain.gateway_settings import MANUAL
from services.payment.domain.payable_order import PayableOrder
from services.payment.domain.transaction import Transaction
from tests.fast.memory import appended, published
from tests.fast.payment_world import STRIPE, World, checked_out, seeded, world


@pytest.fixture
async def w() -> World:
    return await seeded(world())


async def test_a_payment_waits_for_a_checkout_not_consumed_yet(w: World) -> None:
    order_id = str(uuid4())
    w.payments.order_wait = 1.0
    paying = asyncio.create_task(pay(w.payments, Pay(order_id, MANUAL, "authorize")))
    await asyncio.sleep(0.005)
    assert not paying.done()  # the shopper paid before the consumer opened the order
    await checked_out(w.database, order_id=order_id)  # its commit wakes the waiting request
    txn = await asyncio.wait_for(paying, 0.2)
    assert (txn.order_id, txn.status) == (order_id, "complete")
    order, settings = await wait_for_order_and_gateway(w.database, order_id, STRIPE, timeout=0.5)
    assert order.opened and settings is not None and settings.enabled


async def test_an_order_never_checked_out_is_not_found_after_the_wait(w: World) -> None:
    with pytest.raises(OrderNotFound):
        await wait_for_order(w.database, "00000000-0000-4000-8000-000000000000", timeout=0.02)
    with pytest.raises(OrderNotFound):  # not even the shape of an order id: no wait
        await pay(w.payments, Pay("not-an-order", MANUAL, "authorize"))
    assert published(w.database) == []


async def test_split_payments_cover_the_balance_and_no_more(w: World) -> None:
    order_id = await checked_out(w.database)
    await pay(w.payments, Pay(order_id, MANUAL, "authorize", amount=4000))
    with pytest.raises(PaymentAmountInvalid):
        await pay(w.payments, Pay(order_id, MANUAL, "authorize", amount=6001))
    await pay(w.payments, Pay(order_id, MANUAL, "authorize"))
    with pytest.raises(OrderAlreadyPaid):
        await pay(w.payments, Pay(order_id, MANUAL, "authorize"))
    order = await w.database.read(PayableOrder, order_id)
    assert sorted(order.reservations.values()) == [4000, 6000]


async def test_a_cancelled_order_takes_no_new_payment(w: World) -> None:
    order_id = await checked_out(w.database)
    await w.database.run(lambda uow: note_cancelled(uow, order_id, "customer"))
    await w.database.run(lambda uow: note_cancelled(uow, order_id, "customer"))  # once
    with pytest.raises(CancelledOrderCannotBePaid):
        await pay(w.payments, Pay(order_id, MANUAL, "authorize"))
    assert appended(w.database).count("OrderCancellationNoted") == 1
    assert published(w.database) == []


async def test_a_reply_to_someone_else_s_request_changes_nothing(w: World) -> None:
    before = len(w.database.store.log)
    await w.database.run(lambda uow: record_reply(uow, "reservation-of-a-cart", allocated=True))
    assert len(w.database.store.log) == before


async def test_a_transaction_is_read_only_through_its_own_order(w: World) -> None:
    order_id = await checked_out(w.database)
    txn = await pay(w.payments, Pay(order_id, MANUAL, "authorize"))
    assert (await load_transaction(w.database, order_id, txn.id)).id == txn.id
    with pytest.raises(TransactionNotFound):
        await load_transaction(w.database, await checked_out(w.database), txn.id)
    assert not (await w.database.read(Transaction, "t-none")).exists
