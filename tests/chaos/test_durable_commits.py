"""What a shopper was told survives `kill -9` of PostgreSQL, and Kafka never runs ahead of the stores.

The five services run as processes on a three-broker Kafka and a PostgreSQL of their own with
`DURABLE_SETTINGS` (fsync, synchronous_commit, full_page_writes on). Shoppers check out carts and
pay for them with the manual gateway, many at once, and every acknowledged answer is recorded: a
checkout's 201 and its order id (or a 409 naming the order an earlier, unanswered attempt made), a
payment's 200/201 and its transaction id, status and type. PostgreSQL is SIGKILLed twice: mid-flow,
once some payments have been acknowledged, and again right after the last acknowledgement, with no
pause (the commits behind the last answers are then milliseconds old). After each kill it starts
again on its data and recovers from its WAL; the services reconnect by themselves.

Then, within deadlines:
- every acknowledged checkout's cart stream holds its `CartCheckedOut` naming that order, and the
  order's stream exists in the order service's store once the order service has consumed it;
- every acknowledged payment's transaction, folded from the payment store, exists for that order
  with the acknowledged status and type;
- every message on the services' topics (read whole, from the beginning) is backed by its
  producer's store: the stream the envelope names exists at a version >= `aggregate_version`, and
  the event at that version was appended by the unit of work that published the message (same
  correlation id; a stream whose lost tail was written again after the crash has the version but
  not the event);
- an outbox row still there once the relays had OUTBOX_DEADLINE is at least on Kafka.

How it fails. With `synchronous_commit=off` (FAST_SETTINGS) PostgreSQL answers COMMIT before the
commit's WAL is written; a SIGKILL throws away what is still in its WAL buffers (up to about three
`wal_writer_delay`s, 200 ms each, of commits). The service has already answered 201/200, and the
outbox relay, handed the committed rows in process, has already published them. After recovery
the test would then see an acknowledged order whose cart stream has no `CartCheckedOut` (or no
cart stream at all), a transaction that is missing or still pending instead of complete, and
envelopes on Kafka (`CartCheckedOut`, `PaymentCaptured`, `OrderCompleted`, ...) whose stream is
missing, behind their `aggregate_version`, or holds another event there: other services have
consumed facts that the producer no longer holds. The loss is probabilistic: only commits in that
last window go, which is why the second kill comes right after the last acknowledgement. Run by
hand against FAST_SETTINGS, 3 runs of 6 failed: twice acknowledged payments ("complete") folded
from the store as "failed" (the completion was lost, the reconciler then failed the pending
transaction), once `OrderCompleted` on Kafka at v3 of an order stream the store held at v1.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from uuid import uuid4

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from checkout_platform.storefront.client import Answer
from checkout_platform.storefront.httpx_transports import ServiceUnavailable
from devstack.kafka import KafkaCluster
from devstack.postgres import PostgresServer
from services.payment.domain.transaction import Transaction
from shared.contracts.envelope import Envelope
from shared.eventstore.aggregate_reader import AggregateReader
from shared.eventstore.database import connect
from shared.eventstore.store import EventStore
from shared.messaging.dead_letters import DEAD_LETTER_TOPIC
from shared.messaging.kafka_security import kafka_client_options
from tests.chaos.conftest import open_shop, stocked_products
from tests.chaos.faults import crash_postgres
from tests.chaos.platform import SERVICES, Platform
from tests.chaos.workload import Shop
from tests.support.kafka import records_up_to_now

JOURNEYS = int(os.environ.get("CHAOS_DURABLE_JOURNEYS", "28"))  # while the first kill strikes
BURST = 12  # then at once, the second kill right after the last answer
CONCURRENCY = 24
CRASH_AFTER_PAYMENTS = 8  # the first kill strikes once this many payments were acknowledged
DOWN = 1.0  # seconds PostgreSQL stays dead after each kill
ATTEMPTS = 4  # per request that failed for want of the database (a 5xx), before giving up
CUSTOMER = {"name": "Durable Shopper", "email": "durable@example.com"}
WORKLOAD_DEADLINE = 300.0
SETTLE_DEADLINE = 180.0
OUTBOX_DEADLINE = 30.0  # for the relays to empty the outboxes, once the acknowledged facts are in
KAFKA_DEADLINE = 120.0

# Where an envelope's aggregate lives in its producer's store. `uow.publish` takes the aggregate id
# and version, and the aggregate type defaults to the contract's (`IntegrationEvent.aggregate_type`),
# so the stream is f"{aggregate_type}-{aggregate_id}" at version >= `aggregate_version` (the version
# once the publishing unit of work is saved), with two exceptions:
# - inventory publishes an order's allocation facts (StockAllocated, StockAllocationFailed,
#   StockReleased, StockDecremented) under the contract's type "order", from its `OrderAllocation`
#   aggregate, whose stream type is "allocation" (same id, the order id, and same version);
STREAM_TYPE = {("inventory", "order"): "allocation"}
# - payment publishes StockAllocationRequested with aggregate_id = the order id and no version (0):
#   payment holds no "order-" stream, and the version maps to nothing. That request is published in
#   the unit of work that creates the transaction it is for (request_id), so its backing is that
#   transaction's stream, at version >= 1 (see `_backing`).


@dataclass(frozen=True)
class Paid:
    order_id: str
    status: str
    transaction_type: str
    amount: int


@dataclass
class Acks:
    """Every answer that told the shopper something happened, and what was not answered."""

    checkouts: dict[str, str] = field(default_factory=dict)  # cart id -> order id, from a 201
    checkouts_409: dict[str, str] = field(default_factory=dict)  # cart id -> the earlier attempt's order
    payments: dict[str, Paid] = field(default_factory=dict)  # transaction id -> what the answer said
    unanswered: Counter[str] = field(default_factory=Counter)  # what was not acknowledged, and why
    server_errors: list[str] = field(default_factory=list)  # 5xx answers the storefront did not retry
    at: list[float] = field(default_factory=list)  # monotonic time of each acknowledgement

    def orders(self) -> dict[str, str]:
        return self.checkouts | self.checkouts_409


def say(text: str) -> None:
    print(f"durable {time.strftime('%H:%M:%S')} {text}", flush=True)


# -- the workload ---------------------------------------------------------------------------------


async def _answered(
    acks: Acks, step: str, send: Callable[[], Awaitable[Answer]], retry: Callable[[Answer], bool]
) -> Answer:
    """`send` until its answer is not one to `retry`, or ATTEMPTS; the storefront's transport already
    retries connection errors and the 502/503/504 a lost database answers. Any other 5xx (a 500) is
    sent again too, so the workload goes on, but noted in `acks.server_errors`: the test fails on it."""
    for attempt in range(ATTEMPTS):
        response = await send()
        if response.status_code >= 500:
            acks.server_errors.append(f"{step}: {response.status_code} {response.text[:160]}")
        if not retry(response) or attempt == ATTEMPTS - 1:
            return response
        await asyncio.sleep(1.0 + attempt)
    raise AssertionError("unreachable")


def _already_paid(response: Answer) -> bool:
    return response.status_code == 422 and response.json()["errors"][0]["title"] == "Order already paid"


async def _journey(shop: Shop, acks: Acks, product_id: str, method: str) -> None:
    cart_id = uuid4().hex
    added = await _answered(
        acks,
        f"add item to cart {cart_id}",
        lambda: shop.cart.add_item(cart_id, product_id, expect=None),
        lambda r: r.status_code >= 500,
    )
    if added.status_code != 201:
        acks.unanswered[f"add item {added.status_code}"] += 1
        return
    checkout = await _answered(
        acks,
        f"check out cart {cart_id}",
        lambda: shop.cart.check_out(cart_id, CUSTOMER, expect=None),
        lambda r: r.status_code >= 500,
    )
    if checkout.status_code == 201:
        order_id = str(checkout.json()["data"]["id"])
        acks.checkouts[cart_id] = order_id
    elif checkout.status_code == 409:  # an earlier attempt committed; its answer was lost
        order_id = str(checkout.json()["errors"][0]["meta"]["order_id"])
        acks.checkouts_409[cart_id] = order_id
    else:
        acks.unanswered[f"checkout {checkout.status_code}"] += 1
        return
    acks.at.append(time.monotonic())
    payer = shop.pay_admin if method == "purchase" else shop.pay  # a manual purchase: the admin's
    paid = await _answered(
        acks,
        f"pay order {order_id} ({method})",
        lambda: payer.pay_manually(order_id, method, expect=None),
        # 404: the order has not reached the payment service yet; 409: a gateway call in flight;
        # 422 "Order already paid": an earlier attempt, cut by the kill and resent by the storefront,
        # is still pending until the reconciler settles it (it may also have gone through)
        lambda r: r.status_code >= 500 or r.status_code in (404, 409) or _already_paid(r),
    )
    if paid.status_code == 200:
        data = paid.json()["data"]
        acks.payments[str(data["id"])] = Paid(
            order_id, str(data["status"]), str(data["transaction_type"]), int(data["amount"])
        )
        acks.at.append(time.monotonic())
    else:
        acks.unanswered[f"pay {paid.status_code}"] += 1


async def _run(shop: Shop, acks: Acks, products: list[str], count: int, last: Callable[[], None]) -> None:
    """`count` journeys, CONCURRENCY at a time; `last()` runs the moment the last one has ended,
    synchronously (nothing is awaited between the last answer and it)."""
    gate = asyncio.Semaphore(CONCURRENCY)
    rng = random.Random()
    remaining = count

    async def one() -> None:
        nonlocal remaining
        try:
            async with gate:
                await _journey(shop, acks, rng.choice(products), rng.choice(("purchase", "authorize")))
        except ServiceUnavailable as exc:
            acks.unanswered[f"gave up: {str(exc)[:80]}"] += 1
        finally:
            remaining -= 1
            if remaining == 0:
                last()

    async with asyncio.timeout(WORKLOAD_DEADLINE):
        await asyncio.gather(*(one() for _ in range(count)))


async def _kill_mid_flow(shop: Shop, server: PostgresServer, products: list[str], acks: Acks) -> str:
    """The journeys, and a SIGKILL of PostgreSQL once CRASH_AFTER_PAYMENTS payments were
    acknowledged (checkouts and payments are in flight); it restarts after DOWN seconds."""
    ended = False

    def last() -> None:
        nonlocal ended
        ended = True

    async def strike() -> str:
        while len(acks.payments) < CRASH_AFTER_PAYMENTS and not ended:
            await asyncio.sleep(0.02)
        if ended:
            return "did not strike: every journey ended first"
        return await crash_postgres(server, down=DOWN)()

    _, happened = await asyncio.gather(_run(shop, acks, products, JOURNEYS, last), strike())
    return happened


async def _kill_after_last_answer(
    shop: Shop, server: PostgresServer, products: list[str], acks: Acks
) -> float:
    """A burst of BURST journeys at once; PostgreSQL is SIGKILLed as the last one gets its answer.
    Returns when (monotonic); the caller starts the server again."""
    killed_at = 0.0

    def last() -> None:
        nonlocal killed_at
        killed_at = time.monotonic()
        server.kill()

    await _run(shop, acks, products, BURST, last)
    return killed_at


# -- the stores -----------------------------------------------------------------------------------


async def _connect(dsn: str) -> asyncpg.Connection:
    return await asyncpg.connect(dsn, timeout=10)


async def _lost(databases: dict[str, str], acks: Acks) -> list[str]:
    """Each acknowledged fact the service that acknowledged it does not hold. It committed before
    it answered, so there is nothing to wait for: what is missing now is lost."""
    missing: list[str] = []
    orders = acks.orders()
    cart = await _connect(databases["cart"])
    try:
        rows = await cart.fetch(
            "SELECT stream_id, data->>'order_id' AS order_id FROM events"
            " WHERE event_type = 'CartCheckedOut' AND stream_id = ANY($1::text[])",
            [f"cart-{cart_id}" for cart_id in orders],
        )
    finally:
        await cart.close()
    checked_out: dict[str, set[str]] = {}
    for row in rows:
        checked_out.setdefault(row["stream_id"].removeprefix("cart-"), set()).add(row["order_id"])
    for cart_id, order_id in orders.items():
        if order_id not in checked_out.get(cart_id, set()):
            missing.append(f"cart {cart_id}: acknowledged order {order_id}, no CartCheckedOut for it")

    payment = await asyncio.wait_for(connect(databases["payment"]), 10)  # decodes jsonb as the service does
    try:
        reader = AggregateReader(payment, EventStore())
        for transaction_id, told in acks.payments.items():
            txn = await reader.load(Transaction, transaction_id)
            stored = Paid(
                txn.order_id, txn.status, txn.transaction_type, txn.captured or txn.authorized or txn.amount
            )
            if not txn.exists:
                missing.append(
                    f"transaction {transaction_id} of order {told.order_id}: acknowledged, not stored"
                )
            elif stored != told:
                missing.append(f"transaction {transaction_id}: acknowledged {told}, stored {stored}")
    finally:
        await payment.close()
    return missing


async def _not_consumed(databases: dict[str, str], orders: Iterable[str]) -> list[str]:
    """Each acknowledged order the order service does not hold (yet: it consumes CartCheckedOut)."""
    orders = list(orders)
    order = await _connect(databases["order"])
    try:
        rows = await order.fetch(
            "SELECT stream_id FROM streams WHERE stream_id = ANY($1::text[])",
            [f"order-{order_id}" for order_id in orders],
        )
    finally:
        await order.close()
    placed = {row["stream_id"].removeprefix("order-") for row in rows}
    return [f"order {o}: acknowledged, not in the order store" for o in orders if o not in placed]


async def _outbox(databases: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """service -> (event id, topic) of each row its outbox holds."""
    rows: dict[str, list[tuple[str, str]]] = {}
    for name, dsn in databases.items():
        conn = await _connect(dsn)
        try:
            found = await conn.fetch("SELECT event_id, topic FROM outbox ORDER BY id")
        finally:
            await conn.close()
        if found:
            rows[name] = [(str(r["event_id"]), r["topic"]) for r in found]
    return rows


async def _settle(databases: dict[str, str], acks: Acks) -> tuple[list[str], float]:
    """The acknowledged facts lost, or not consumed by the order service by SETTLE_DEADLINE, and
    how long that took to find out."""
    started = time.monotonic()
    deadline = started + SETTLE_DEADLINE
    lost: list[str] | None = None
    while True:
        try:
            if lost is None:
                lost = await _lost(databases, acks)
            # (an order whose checkout was lost may never reach the order service: not waited for)
            orders = [o for o in acks.orders().values() if not any(o in line for line in lost)]
            missing = lost + await _not_consumed(databases, orders)
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:  # the server is still recovering
            missing = [f"the stores cannot be read: {exc!r}"]
        if (lost is not None and missing == lost) or time.monotonic() > deadline:
            return missing, time.monotonic() - started
        await asyncio.sleep(1.0)


async def _drained(databases: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """The outbox rows still there once every outbox is empty, or OUTBOX_DEADLINE passed."""
    deadline = time.monotonic() + OUTBOX_DEADLINE
    while (left := await _outbox(databases)) and time.monotonic() < deadline:
        await asyncio.sleep(1.0)
    return left


# -- Kafka against the stores ---------------------------------------------------------------------


async def _every_envelope(bootstrap: str, prefix: str) -> tuple[list[tuple[str, bytes]], int]:
    """(topic, value) of every message on the platform's topics, from the beginning to their end
    as of now, and how many dead letters there were. The dead-letter topic is left out: a letter
    is a consumed message republished unchanged, and its original is read on its own topic."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="durable-inspector", **kafka_client_options()
    )
    await admin.start()
    try:
        topics = sorted(t for t in await admin.list_topics() if t.startswith(prefix))
    finally:
        await admin.close()
    records = await records_up_to_now(bootstrap, *topics, timeout=KAFKA_DEADLINE)
    dead = sum(1 for r in records if r.topic == prefix + DEAD_LETTER_TOPIC)
    messages = [
        (r.topic, r.value) for r in records if r.topic != prefix + DEAD_LETTER_TOPIC and r.value is not None
    ]
    return messages, dead


def _backing(envelope: Envelope) -> tuple[str, int]:
    """The stream (in the producer's store) and the least version that must back `envelope`."""
    if envelope.producer == "payment" and envelope.event_type == "StockAllocationRequested":
        return f"transaction-{envelope.data['request_id']}", 1
    kind = STREAM_TYPE.get((envelope.producer, envelope.aggregate_type), envelope.aggregate_type)
    return f"{kind}-{envelope.aggregate_id}", envelope.aggregate_version


async def _on_kafka_not_in_store(
    bootstrap: str, prefix: str, databases: dict[str, str]
) -> tuple[Counter[str], int, set[str], list[str]]:
    """(messages read per producer, dead letters, the event ids read, each message its producer's
    store does not back)."""
    messages, dead = await _every_envelope(bootstrap, prefix)
    published: set[str] = set()
    unbacked: list[str] = []
    wanted: dict[str, list[tuple[str, int, str, str]]] = {}
    read: Counter[str] = Counter()
    for topic, value in messages:
        try:
            envelope = Envelope.from_json(value)
        except ValueError as exc:
            unbacked.append(f"{topic}: not an envelope ({exc!s:.80})")
            continue
        read[envelope.producer] += 1
        published.add(str(envelope.event_id))
        if envelope.producer not in databases:
            unbacked.append(
                f"{topic}: {envelope.event_id} from {envelope.producer!r}, not a platform service"
            )
            continue
        stream_id, version = _backing(envelope)
        what = f"{topic.removeprefix(prefix)} {envelope.event_id} ({stream_id} v{envelope.aggregate_version})"
        wanted.setdefault(envelope.producer, []).append((stream_id, version, envelope.correlation_id, what))
    for producer, needs in wanted.items():
        conn = await _connect(databases[producer])
        try:
            versions = dict(
                await conn.fetch(
                    "SELECT stream_id, version FROM streams WHERE stream_id = ANY($1::text[])",
                    list({stream_id for stream_id, *_ in needs}),
                )
            )
            events = {
                (row["stream_id"], row["version"]): row["correlation_id"]
                for row in await conn.fetch(
                    "SELECT e.stream_id, e.version, e.metadata->>'correlation_id' AS correlation_id"
                    " FROM unnest($1::text[], $2::int[]) AS wanted(stream_id, version)"
                    " JOIN events e USING (stream_id, version)",
                    [stream_id for stream_id, *_ in needs],
                    [version for _, version, *_ in needs],
                )
            }
        finally:
            await conn.close()
        for stream_id, version, correlation_id, what in needs:
            if stream_id not in versions:
                unbacked.append(f"{producer}: {what}: no such stream in its store")
            elif versions[stream_id] < version:
                unbacked.append(f"{producer}: {what}: the store has the stream at v{versions[stream_id]}")
            elif version and events.get((stream_id, version)) != correlation_id:
                unbacked.append(
                    f"{producer}: {what}: v{version} in the store is another unit of work's"
                    f" (correlation {events.get((stream_id, version))}, the message's {correlation_id})"
                )
    return read, dead, published, unbacked


# -- the test -------------------------------------------------------------------------------------


async def test_acknowledged_commits_survive_kill_9_and_kafka_holds_nothing_the_stores_do_not(
    platform: Platform, kafka_cluster3: KafkaCluster, chaos_postgres: PostgresServer
) -> None:
    started = time.monotonic()
    durability = {k: chaos_postgres.settings[k] for k in ("fsync", "synchronous_commit", "full_page_writes")}
    shop = await open_shop(platform)
    acks = Acks()
    try:
        products = list(await stocked_products(shop, 3, JOURNEYS + BURST))
        say(
            f"PostgreSQL {durability}; {JOURNEYS} carts ({CONCURRENCY} at a time) then {BURST} at once:"
            " check out, pay with the manual gateway (purchase or authorize)"
        )
        first = await _kill_mid_flow(shop, chaos_postgres, products, acks)
        say(f"kill 1, once {CRASH_AFTER_PAYMENTS} payments were acknowledged: {first}")
        before = len(acks.at)
        killed_at = await _kill_after_last_answer(shop, chaos_postgres, products, acks)
        await asyncio.sleep(DOWN)
        restarted = time.monotonic()
        await chaos_postgres.start()
        fresh = sum(1 for t in acks.at if killed_at - t < 0.5)
        say(
            f"kill 2: SIGKILLed PostgreSQL {(killed_at - max(acks.at)) * 1000:.1f} ms after the last of"
            f" {len(acks.at) - before} acknowledgements of the burst ({fresh} in its last 500 ms),"
            f" started after {DOWN:.0f} s, recovered in {time.monotonic() - restarted:.1f} s"
        )
        say(
            f"acknowledged: {len(acks.checkouts)} checkouts (201) + {len(acks.checkouts_409)} (409 naming an"
            f" earlier attempt's order), {len(acks.payments)} payments"
            f" {dict(Counter(f'{p.transaction_type}/{p.status}' for p in acks.payments.values()))};"
            f" not acknowledged: {dict(acks.unanswered)}; storefront retries: {dict(shop.retries())};"
            f" 500s: {len(acks.server_errors)}"
        )
        missing, took = await _settle(platform.databases, acks)
        left = await _drained(platform.databases)
        read, dead, published, unbacked = await _on_kafka_not_in_store(
            platform.kafka, platform.prefix, platform.databases
        )
    finally:
        for client in shop.all():
            await client.aclose()
    say(
        f"after {took:.0f} s: {len(missing)} acknowledged facts missing from the stores (of"
        f" {len(acks.orders())} orders in the cart and order stores, {len(acks.payments)} transactions);"
        f" {sum(read.values())} messages on"
        f" Kafka {dict(read)}, {dead} dead letters, {len(unbacked)} not backed by their producer's store;"
        f" total {time.monotonic() - started:.0f} s"
    )
    # An outbox row left behind must at least have been published: one that never goes out is an
    # acknowledged fact the other services never learn of. (A published row can come back: the
    # relay deletes what it published with synchronous_commit off, derived data, and a kill may
    # undo that delete; the message is then on Kafka twice at most, and consumers deduplicate.)
    unpublished = [
        f"{name}: outbox row {e} ({t}) never published"
        for name, rows in left.items()
        for e, t in rows
        if e not in published
    ]
    say(
        f"outbox rows left after the relays had {OUTBOX_DEADLINE:.0f} s:"
        f" { ({name: len(rows) for name, rows in left.items()}) }, {len(unpublished)} of them not on Kafka"
    )
    for line in missing[:10] + unbacked[:10] + unpublished[:10]:
        say(f"  {line}")
    assert not acks.server_errors, "500s, where a lost database answers 503:\n" + "\n".join(
        acks.server_errors[:40]
    )
    assert not missing, "acknowledged but lost:\n" + "\n".join(missing[:40])
    assert not unbacked, "on Kafka but not in the producer's store:\n" + "\n".join(unbacked[:40])
    assert not unpublished, "committed, never published:\n" + "\n".join(unpublished[:40])
    # And the relays clear what they published even when a crash undid their delete.
    assert not any(left.values()), f"outbox rows still there after {OUTBOX_DEADLINE:.0f} s: {left}"
    assert first.startswith("SIGKILLed") and killed_at, "both kills must strike"
    # Not vacuous: most shoppers were answered, through both kills, and every producer was read.
    carts = JOURNEYS + BURST
    assert len(acks.orders()) >= carts * 3 // 4 and len(acks.payments) >= carts // 2, acks.unanswered
    assert set(read) <= set(SERVICES) and {"cart", "order", "payment", "inventory"} <= set(read), read
