"""What a payment costs the payment database, counted by PostgreSQL itself (`pg_stat_statements`).

A service of its own (its own database and topics, no webhooks), so that nothing but the measured
flow runs there, on orders whose checkout was already consumed. Everything the flow makes the
database do is counted, until it falls quiet: the request and, with stock, the consumer's
transaction recording inventory's reply. Each flow runs a few
times and the cheapest run counts: a connection's first use of a statement may add asyncpg's type
introspection, a client-side cache miss that is not the flow's cost.

The counts today (issue 13; before it: 40, 54, 39 and 20 statements; issue 22 added the read of
the gateway's configuration, which an admin may change on any instance; before the index rows went
into `kernel_commit`: 8, 23, 8 and 8; before the order and the gateway's configuration were read in
one statement and the relay's deletes rode on its timed read of the table: 4, 12, 4 and 5, which
less the statements those two changes removed gives the counts below):

- an admin's `manual` purchase without managed stock, 2: read the order and the gateway's
  configuration (one statement); one unit of work in one statement (the transaction's and the
  order's appends and the outbox row);
- the same with a stock-managed line, 4: read the order and the gateway's configuration; request
  (one statement: two appends, the `open_transactions` row naming this process, the outbox row);
  the consumer's reply (one statement, from the stream cache); create and confirm, the request
  woken by that commit and reading nothing (one statement: append, index row gone, outbox). No
  lock and unlock, two statements more until 2026-12-04: a `manual` payment is held by its process
  (`TransactionLocks.owned`);
- a shopper's authorize, 2, as the purchase; its capture, 4: lock, read, one statement, unlock.

The relay's deletes of what it published are no longer statements of their own: its read of the
table every half second (left out, `statements.TIMED`) takes them out.

The bounds leave a little room (a kernel statement more per message is not this test's business),
but not enough to let a read loop, a second unit of work or a reset query back in.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest

from tests.payment.bus import Bus
from tests.payment.calls import client_of, pay, transaction_action, transactions
from tests.payment.checkouts import check_out, product_line
from tests.payment.service import payment_environment, start_payment_service
from tests.payment.statements import Statements, breakdown, database_of
from tests.support.services import RunningService

PURCHASE_AT_MOST = 4
PURCHASE_WITH_STOCK_AT_MOST = 5  # 4; the lock and unlock back would fail it
AUTHORIZE_AT_MOST = 4
CAPTURE_AT_MOST = 6
RUNS = 3
QUIET_FOR = 0.3  # seconds without a statement, once the service has settled


@dataclass
class Lone:
    service: RunningService
    bus: Bus
    statements: Statements
    shopper: httpx.AsyncClient
    admin: httpx.AsyncClient


@pytest.fixture(scope="module")
async def lone(
    postgres: Any,
    kafka_bootstrap_servers: str,
    localstripe_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Lone]:
    prefix = f"payrt{uuid4().hex[:8]}."
    env = await payment_environment(postgres, kafka_bootstrap_servers, prefix, localstripe_url)
    statements = await Statements.connect(postgres.url, database_of(env["DATABASE_URL"]))
    service = await start_payment_service(env, tmp_path_factory.mktemp("round-trips"))
    async with (
        Bus(kafka_bootstrap_servers, prefix) as bus,
        client_of(service.url, admin=False) as shopper,
        client_of(service.url, admin=True) as admin,
    ):
        yield Lone(service, bus, statements, shopper, admin)
    service.stop()
    await statements.close()


async def _quiet(lone: Lone) -> Counter[str]:
    """The counts once the flow's last statements have run: the service has settled (the relay has
    deleted every row it published, the consumer group has committed past inventory's reply, so its
    transaction is in: `Bus.settled`), and then nothing has run for a moment."""
    await lone.bus.settled(lone.service)
    statements = lone.statements
    last = await statements.snapshot()
    for _ in range(50):
        await asyncio.sleep(QUIET_FOR)
        now = await statements.snapshot()
        if now == last:
            return now
        last = now
    return last


async def _cheapest(lone: Lone, flow: Callable[[], Awaitable[None]]) -> tuple[int, str]:
    """The fewest statements of `RUNS` runs of `flow`, and what they were."""
    runs = []
    for _ in range(RUNS):
        before = await _quiet(lone)
        await flow()
        after = await _quiet(lone)
        runs.append(((after - before).total(), breakdown(before, after)))
    return min(runs)


async def _consumed_order(lone: Lone, *, managed: bool) -> str:
    order = await check_out(lone.bus, product_line(str(uuid4()), 1, 2500, managed=managed))
    await transactions(lone.shopper, order.order_id)  # waits for the checkout to be consumed
    return order.order_id


async def _purchase(lone: Lone, order_id: str) -> None:
    response = await pay(lone.admin, order_id, gateway="manual", method="purchase")  # the admin's
    assert response.status_code == 200, response.text
    await lone.bus.wait_for("PaymentCaptured", transaction_id=response.json()["data"]["id"])


@pytest.mark.parametrize(
    ("managed", "at_most"),
    [(False, PURCHASE_AT_MOST), (True, PURCHASE_WITH_STOCK_AT_MOST)],
    ids=["no-stock", "stock-allocated"],
)
async def test_a_manual_purchase(lone: Lone, managed: bool, at_most: int) -> None:
    orders = [await _consumed_order(lone, managed=managed) for _ in range(RUNS)]

    count, ran = await _cheapest(lone, lambda: _purchase(lone, orders.pop()))

    assert count <= at_most, f"{count} statements:\n{ran}"


async def test_a_manual_authorize_and_its_capture(lone: Lone) -> None:
    orders = [await _consumed_order(lone, managed=False) for _ in range(RUNS)]
    authorized: list[tuple[str, str]] = []

    async def authorize() -> None:
        order_id = orders.pop()
        response = await pay(lone.shopper, order_id, gateway="manual", method="authorize")
        assert response.status_code == 200, response.text
        authorized.append((order_id, response.json()["data"]["id"]))
        await lone.bus.wait_for("PaymentAuthorized", transaction_id=authorized[-1][1])

    async def capture() -> None:
        order_id, transaction_id = authorized.pop()
        response = await transaction_action(lone.admin, order_id, transaction_id, "capture")
        assert response.status_code == 200, response.text
        await lone.bus.wait_for("PaymentCaptured", transaction_id=transaction_id)

    authorizing, ran = await _cheapest(lone, authorize)
    assert authorizing <= AUTHORIZE_AT_MOST, f"{authorizing} statements:\n{ran}"
    capturing, ran = await _cheapest(lone, capture)
    assert capturing <= CAPTURE_AT_MOST, f"{capturing} statements:\n{ran}"
