"""The invariants, counted from the services' own event stores after a fault.

- every checked-out cart has exactly one order, and every order came from a checked-out cart;
- every order with a captured payment is complete exactly once (one `OrderCompleted`), and no
  other order is complete;
- no payment is captured twice (at most one `TransactionCaptured` per order);
- no unit of stock is oversold or lost: per product, what inventory holds allocated equals what the
  live payments of unshipped orders need, its total equals the initial stock minus what shipped,
  and no version of the stock stream ever allocated more than its total;
- what the shoppers were told agrees with the stores (a payment answered "complete" was
  captured or authorised; a payment refused for stock took nothing);
- nothing is stuck: every outbox is empty and nothing is parked.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from tests.chaos.platform import SERVICES, Platform
from tests.chaos.workload import Journey
from tests.support.settling import consumer_groups, settled

LIVE_PAYMENT_OUTCOMES = ("paid", "authorized", "refunded", "shipped")
# Facts that happen at most once per stream (or per stream and key): a second one means a message
# was processed twice. (service, event type, the JSON field that must be unique within the stream)
ONCE: tuple[tuple[str, str, str | None], ...] = (
    ("order", "OrderPlaced", None),
    ("order", "OrderCompleted", None),
    ("order", "OrderCancelled", None),
    ("order", "FulfilmentRequested", None),
    ("order", "TransactionAuthorized", "transaction_id"),
    ("order", "TransactionCaptured", "transaction_id"),
    ("payment", "OrderOpened", None),
    ("payment", "TransactionCaptured", None),
    ("payment", "StockAllocationConfirmed", None),
    ("payment", "StockAllocationRefused", None),
    ("inventory", "OrderStockAllocated", "request_id"),
    ("inventory", "OrderStockShipped", None),
    ("inventory", "OrderVoided", None),
    ("fulfillment", "ShipmentDispatched", None),
)


@dataclass
class Audit:
    counts: dict[str, int] = field(default_factory=dict)
    stock: dict[str, tuple[int, int, int, int]] = field(
        default_factory=dict
    )  # initial, total, allocated, expected
    violations: list[str] = field(default_factory=list)

    def line(self) -> str:
        c = self.counts
        initial = sum(s[0] for s in self.stock.values())
        total = sum(s[1] for s in self.stock.values())
        allocated = sum(s[2] for s in self.stock.values())
        needed = sum(s[3] for s in self.stock.values())
        return (
            f"checkouts={c['checkouts']} orders={c['orders']} paid={c['paid']} complete={c['complete']}"
            f" captured={c['captured']} authorized_only={c['authorized_only']} refused={c['refused']}"
            f" refunded={c['refunded']} shipped_orders={c['shipped']} cancelled={c['cancelled']}"
            f" no_stock={c['no_stock']} | stock before={initial} after: total={total}"
            f" allocated={allocated} (live payments need {needed}) units_shipped={initial - total}"
            f" | double captures={c['double_captures']} double completions={c['double_completions']}"
            f" doubled facts={c['doubled_facts']}"
            f" oversold movements={c['oversold_movements']} outbox={c['outbox']} parked={c['parked']}"
        )


def _data(value: Any) -> dict[str, Any]:
    return dict(json.loads(value) if isinstance(value, str) else value)


async def _rows(dsn: str, query: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


def _suffix(stream_id: str) -> str:
    return stream_id.split("-", 1)[1]


async def audit(
    databases: Mapping[str, str], journeys: Iterable[Journey], initial_stock: Mapping[str, int]
) -> Audit:
    """One reading of every store; `violations` lists each invariant that does not hold now."""
    journeys = list(journeys)
    result = Audit()
    bad = result.violations

    # -- carts and orders -----------------------------------------------------------------------
    cart_rows = await _rows(
        databases["cart"], "SELECT stream_id, data FROM events WHERE event_type = 'CartCheckedOut'"
    )
    checked_out: dict[str, list[str]] = defaultdict(list)
    for row in cart_rows:
        checked_out[_suffix(row["stream_id"])].append(_data(row["data"])["order_id"])
    order_rows = await _rows(
        databases["order"],
        "SELECT stream_id, event_type, data FROM events WHERE event_type IN"
        " ('OrderPlaced', 'OrderCompleted', 'OrderCancelled', 'FulfilmentRequested') ORDER BY position",
    )
    placed: dict[str, dict[str, Any]] = {}
    orders_of_cart: dict[str, list[str]] = defaultdict(list)
    completions: Counter[str] = Counter()
    cancelled: set[str] = set()
    shipped: set[str] = set()
    for row in order_rows:
        order_id, data = _suffix(row["stream_id"]), _data(row["data"])
        match row["event_type"]:
            case "OrderPlaced":
                if order_id in placed:
                    bad.append(f"order {order_id} placed twice")
                placed[order_id] = data
                orders_of_cart[data["cart_id"]].append(order_id)
            case "OrderCompleted":
                completions[order_id] += 1
            case "OrderCancelled":
                cancelled.add(order_id)
            case "FulfilmentRequested":
                shipped.add(order_id)
    for cart_id, orders in checked_out.items():
        made = orders_of_cart.get(cart_id, [])
        if len(orders) != 1 or sorted(made) != sorted(orders):
            bad.append(f"cart {cart_id}: checked out as {orders}, orders placed {made}")
    for cart_id in set(orders_of_cart) - set(checked_out):
        bad.append(f"orders {orders_of_cart[cart_id]} for cart {cart_id}, which was never checked out")

    # -- payments -------------------------------------------------------------------------------
    payment_rows = await _rows(
        databases["payment"],
        "SELECT stream_id, event_type, data FROM events WHERE stream_type = 'transaction' AND event_type IN"
        " ('PaymentRequested', 'TransactionAuthorized', 'TransactionCaptured', 'TransactionFailed',"
        " 'TransactionCancelled', 'TransactionRefunded') ORDER BY position",
    )
    order_of_txn: dict[str, str] = {}
    captures: Counter[str] = Counter()
    authorized: set[str] = set()
    dead_txns: set[str] = set()
    refunded: set[str] = set()
    for row in payment_rows:
        txn, data = _suffix(row["stream_id"]), _data(row["data"])
        if row["event_type"] == "PaymentRequested":
            order_of_txn[txn] = data["order_id"]
            continue
        order_id = order_of_txn[txn]
        match row["event_type"]:
            case "TransactionAuthorized":
                authorized.add(txn)
            case "TransactionCaptured":
                captures[order_id] += 1
            case "TransactionFailed" | "TransactionCancelled":
                dead_txns.add(txn)
            case "TransactionRefunded":
                refunded.add(order_id)
    live_orders = {order_of_txn[t] for t in authorized - dead_txns} | set(captures)
    for order_id, count in captures.items():
        if count > 1:
            bad.append(f"order {order_id} captured {count} times")
    for order_id in set(placed) | set(completions):
        expected = 1 if captures[order_id] else 0
        if completions[order_id] != expected:
            bad.append(
                f"order {order_id}: {completions[order_id]} OrderCompleted, {captures[order_id]} captures"
            )

    # -- what shoppers were told ----------------------------------------------------------------
    outcomes = Counter(j.outcome for j in journeys)
    for journey in journeys:
        if journey.order_id is not None and journey.order_id not in placed:
            bad.append(f"cart {journey.cart_id}: the shopper got order {journey.order_id}, never placed")
        if journey.outcome in LIVE_PAYMENT_OUTCOMES and journey.order_id not in live_orders:
            bad.append(f"order {journey.order_id}: told {journey.outcome}, but no live payment")
        if journey.outcome in ("refused", "unpaid", "cancelled") and captures[journey.order_id or ""]:
            bad.append(f"order {journey.order_id}: told {journey.outcome}, but captured")

    # -- stock ----------------------------------------------------------------------------------
    needed: Counter[str] = Counter()
    left: Counter[str] = Counter()
    for order_id, data in placed.items():
        for line in data["items"]:
            product = line.get("product_id")
            if product not in initial_stock:
                continue
            if order_id in shipped and order_id in live_orders:
                left[product] += int(line["quantity"])
            elif order_id in live_orders and order_id not in cancelled:
                needed[product] += int(line["quantity"])
    stock_rows = await _rows(
        databases["inventory"],
        "SELECT stream_id, data FROM events WHERE event_type = 'StockMovement' ORDER BY stream_id, version",
    )
    levels: dict[str, tuple[int, int]] = {}
    oversold = 0
    for row in stock_rows:
        data = _data(row["data"])
        levels[_suffix(row["stream_id"])] = (int(data["total_after"]), int(data["allocated_after"]))
        if data["allocated_after"] > data["total_after"]:
            oversold += 1
            bad.append(f"{row['stream_id']}: allocated {data['allocated_after']} of {data['total_after']}")
    for product, initial in initial_stock.items():
        total, allocated = levels.get(product, (0, 0))
        result.stock[product] = (initial, total, allocated, needed[product])
        if allocated != needed[product]:
            bad.append(f"product {product}: {allocated} allocated, live payments need {needed[product]}")
        if total != initial - left[product]:
            bad.append(f"product {product}: total {total}, expected {initial} - {left[product]} shipped")

    # -- nothing processed twice ----------------------------------------------------------------
    doubled = 0
    for service, event_type, key in ONCE:
        rows = await _rows(
            databases[service],
            "SELECT stream_id, count(*) AS n FROM events WHERE event_type = $1"
            " GROUP BY stream_id, coalesce(data->>$2::text, '') HAVING count(*) > 1",
            event_type,
            key or "",
        )
        doubled += len(rows)
        bad += [f"{service}: {r['stream_id']} has {r['n']} {event_type}" for r in rows]

    # -- nothing stuck --------------------------------------------------------------------------
    outbox = parked = 0
    for name, dsn in databases.items():
        (row,) = await _rows(
            dsn, "SELECT (SELECT count(*) FROM outbox) AS o, (SELECT count(*) FROM parked_messages) AS p"
        )
        outbox, parked = outbox + row["o"], parked + row["p"]
        if row["o"] or row["p"]:
            bad.append(f"{name}: {row['o']} outbox rows unpublished, {row['p']} messages parked")

    result.counts = {
        "journeys": len(journeys),
        "checkouts": len(checked_out),
        "orders": len(placed),
        "paid": len(captures),
        "complete": sum(1 for c in completions.values() if c),
        "captured": sum(captures.values()),
        "authorized_only": len(live_orders - set(captures)),
        "refused": outcomes["refused"],
        "refunded": len(refunded),
        "shipped": len(shipped),
        "cancelled": len(cancelled),
        "no_stock": outcomes["no_stock"],
        "doubled_facts": doubled,
        "double_captures": sum(1 for c in captures.values() if c > 1),
        "double_completions": sum(1 for c in completions.values() if c > 1),
        "oversold_movements": oversold,
        "outbox": outbox,
        "parked": parked,
    }
    return result


async def settle(
    platform: Platform,
    journeys: Iterable[Journey],
    initial_stock: Mapping[str, int],
    timeout: float = 180.0,
) -> Audit:
    """Audit until every invariant holds (the services catch up asynchronously) or `timeout`; then,
    once every outbox is relayed and every consumer group has committed past everything on its
    topics (`tests.support.settling`), audit again and return that: a fact applied twice by a
    consumer that was still behind when the invariants first held shows there."""
    journeys = list(journeys)
    deadline = time.monotonic() + timeout
    while True:
        result = await audit(platform.databases, journeys, initial_stock)
        if result.violations and time.monotonic() > deadline:
            return result
        if not result.violations:
            break
        await asyncio.sleep(2.0)
    groups = {
        group: topics for name in SERVICES for group, topics in consumer_groups(name, platform.prefix).items()
    }
    await settled(platform.kafka, outboxes=list(platform.databases.values()), groups=groups)
    return await audit(platform.databases, journeys, initial_stock)
