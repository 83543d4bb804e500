"""The payment application on the in-memory database (the fast tier): its ports' in-memory
adapters, the manual gateway and a scripted stand-in for Stripe, short time limits, and the
inventory's side of the allocation request/reply played by the payment consumer's handler."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from uuid import uuid4

import orjson

from services.payment.adapters.gateways.manual import ManualGateway
from services.payment.adapters.in_memory.locking import InMemoryTransactionLocks
from services.payment.adapters.in_memory.tables import InMemoryTransactionReads, PaymentTables, provide_tables
from services.payment.application.allocation import record_reply
from services.payment.application.context import Payments
from services.payment.application.gateway_config import seed_gateways
from services.payment.application.orders import open_order
from services.payment.application.paying import Pay, pay
from services.payment.application.ports import ChargeRequest, Gateway, GatewayRefused, GatewayUnreachable
from services.payment.domain.gateway_settings import MANUAL, STRIPE_PAYMENT_INTENTS
from services.payment.domain.gateway_state import GatewayRefund, GatewayState
from services.payment.domain.transaction import Transaction
from shared.contracts.envelope import utc_now
from shared.contracts.events import CartCheckedOut
from shared.contracts.values import Address, Customer, Money, OrderLine, Totals
from shared.eventstore.commit_signals import Commit
from shared.eventstore.in_memory import InMemoryDatabase

STRIPE = STRIPE_PAYMENT_INTENTS
ADDRESS = Address(first_name="Ron", last_name="Swanson", line_1="1 Sun St", postcode="46001", country="US")


@dataclass
class ScriptedGateway:
    """`Gateway` as a card processor that leaves the process (`records_calls`), scripted: an
    operation in `refuse` is declined, one in `unreachable` gets no answer, one in `hang` waits
    until released (a call in progress when its process dies). `payments` is what it made."""

    name: str = STRIPE
    records_calls: bool = True
    login: str = ""
    refuse: set[str] = field(default_factory=set)
    unreachable: set[str] = field(default_factory=set)
    hang: dict[str, asyncio.Event] = field(default_factory=dict)
    payments: dict[str, GatewayState] = field(default_factory=dict)
    by_transaction: dict[str, str] = field(default_factory=dict)
    refunds: dict[str, GatewayRefund] = field(default_factory=dict)
    three_d_secure: bool = False
    """A confirm leaves the payment waiting for the shopper (`pending`)."""
    calls: list[tuple[str, str]] = field(default_factory=list)
    """(operation, idempotency key) of every call that moved something."""

    def use_login(self, login: str) -> None:
        self.login = login

    async def _call(self, operation: str, key: str) -> None:
        self.calls.append((operation, key))
        if operation in self.hang:
            await self.hang[operation].wait()
        if operation in self.unreachable:
            raise GatewayUnreachable(operation)
        if operation in self.refuse:
            raise GatewayRefused("Your card was declined.", code="card_declined")

    async def prepare(self, request: ChargeRequest, idempotency_key: str) -> GatewayState:
        await self._call("create", idempotency_key)
        reference = self.by_transaction.setdefault(request.transaction_id, f"pi_{uuid4().hex[:12]}")
        state = self.payments.setdefault(reference, GatewayState("created", reference, client_secret="cs"))
        return state

    async def find(self, request: ChargeRequest) -> GatewayState | None:
        reference = self.by_transaction.get(request.transaction_id)
        return None if reference is None else self.payments[reference]

    async def confirm(self, reference: str, request: ChargeRequest, idempotency_key: str) -> GatewayState:
        await self._call("confirm", idempotency_key)
        if self.three_d_secure:
            state = GatewayState("pending", reference, client_secret="cs")
        elif request.method == "purchase":
            state = GatewayState("captured", reference, authorized=request.amount, captured=request.amount)
        else:
            state = GatewayState("authorized", reference, authorized=request.amount)
        self.payments[reference] = state
        return state

    async def retrieve(self, reference: str) -> GatewayState:
        return self.payments[reference]

    async def capture(self, reference: str, amount: int, idempotency_key: str) -> GatewayState:
        await self._call("capture", idempotency_key)
        before = self.payments[reference]
        state = GatewayState("captured", reference, authorized=before.authorized, captured=amount)
        self.payments[reference] = state
        return state

    async def cancel(self, reference: str, idempotency_key: str) -> GatewayState:
        await self._call("cancel", idempotency_key)
        state = GatewayState("cancelled", reference, authorized=self.payments[reference].authorized)
        self.payments[reference] = state
        return state

    async def refund(
        self, reference: str, amount: int, idempotency_key: str, transaction_id: str
    ) -> GatewayRefund:
        await self._call("refund", idempotency_key)
        made = self.refunds.setdefault(idempotency_key, GatewayRefund(f"re_{uuid4().hex[:12]}", amount))
        return made

    async def find_refund(self, reference: str, idempotency_key: str) -> GatewayRefund | None:
        return self.refunds.get(idempotency_key)


@dataclass
class World:
    database: InMemoryDatabase
    payments: Payments
    locks: InMemoryTransactionLocks
    tables: PaymentTables
    stripe: ScriptedGateway


def world(*, allocation_timeout: float = 0.2, lock_wait: float = 0.05) -> World:
    database = InMemoryDatabase(producer="payment")
    tables = provide_tables(database)
    locks = InMemoryTransactionLocks(database)
    stripe = ScriptedGateway()
    gateways: dict[str, Gateway] = {MANUAL: ManualGateway(), STRIPE: stripe}
    payments = Payments(
        database=database,
        gateways=gateways,
        locks=locks,
        reads=InMemoryTransactionReads(database),
        allocation_timeout=allocation_timeout,
        order_wait=0.05,
        lock_wait=lock_wait,
    )
    return World(database, payments, locks, tables, stripe)


async def seeded(w: World) -> World:
    await seed_gateways(w.database, {MANUAL: (True, ""), STRIPE: (True, "sk_test_fast")})
    return w


def line(product_id: str, quantity: int, unit: int, *, managed: bool) -> OrderLine:
    return OrderLine(
        id=str(uuid4()),
        product_id=product_id,
        sku=f"sku-{product_id}",
        name="Product",
        quantity=quantity,
        manage_stock=managed,
        unit_price=Money(amount=unit, currency="USD"),
        value=Money(amount=unit * quantity, currency="USD"),
    )


async def checked_out(database: InMemoryDatabase, *lines: OrderLine, order_id: str | None = None) -> str:
    """A new order opened as the consumer opens it on `CartCheckedOut` (one unmanaged line of
    10000 by default); its id."""
    items = list(lines) or [line("mug", 1, 10000, managed=False)]
    total = sum(item.value.amount for item in items)
    checkout = CartCheckedOut(
        cart_id=uuid4().hex,
        order_id=order_id or str(uuid4()),
        customer=Customer(name="Ron Swanson", email="ron@example.com"),
        billing_address=ADDRESS,
        shipping_address=ADDRESS,
        items=items,
        totals=Totals(currency="USD", with_tax=total, without_tax=total, tax=0, without_discount=total),
        checked_out_at=utc_now(),
    )
    await database.run(lambda uow: open_order(uow, checkout))
    return checkout.order_id


@asynccontextmanager
async def inventory(
    database: InMemoryDatabase, *, allocates: bool = True, charges: Mapping[str, Gateway] | None = None
) -> AsyncIterator[list[str]]:
    """Inventory answering each `StockAllocationRequested` the payment publishes, concurrently, by
    running the payment consumer's handler of `StockAllocated` (or `StockAllocationFailed`) on the
    same database; yields the request ids it answered. `charges`: the in-process gateways that
    handler charges with the answer, as the service's consumer does (none: the request charges)."""
    answered: list[str] = []
    tasks: set[asyncio.Task[None]] = set()

    async def answer(request_id: str) -> None:
        await asyncio.sleep(0.001)
        reason = "" if allocates else "insufficient stock"
        await database.run(
            lambda uow: record_reply(uow, request_id, allocated=allocates, reason=reason, gateways=charges)
        )
        answered.append(request_id)

    def committed(commit: Commit) -> None:
        for row in commit.outbox:
            if row.topic.endswith("StockAllocationRequested"):
                request_id = orjson.loads(row.payload)["data"]["request_id"]
                tasks.add(asyncio.get_running_loop().create_task(answer(request_id)))

    stop = database.signals.listen(committed)
    try:
        yield answered
    finally:
        stop()
        for task in tasks:
            await task


async def died_while(w: World, command: Pay, until: Callable[[], bool]) -> Transaction:
    """Start `command`, and end its request (as its process dying would) once `until()` holds;
    the transaction it left open."""
    request = asyncio.create_task(pay(w.payments, command))
    while not until():
        await asyncio.sleep(0.001)
    request.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await request
    assert request.cancelled()
    [transaction_id] = w.tables.open
    return await w.database.read(Transaction, transaction_id)
