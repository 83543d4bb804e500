"""The order list behind `GET /v2/orders`: one row per order and one per order item.

Each event re-derives its order from the stream up to that event's version with the aggregate's
own fold, so the list shows exactly what `GET /v2/orders/:id` shows (statuses are derived from
facts, never folded twice in two places), and a rebuild gives the same rows. A row depends only on
its order's latest state, so a batch folds each order once, at its last event in the batch: one read
of the batch's streams and two multi-row writes, instead of a stream read and a write per event
(a rebuild went from about a thousand events per second to tens of thousands). Orders folded by an
earlier batch are continued from memory (`folded_orders.py`), so only streams it does not continue
are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from services.order.domain.events import ORDER_EVENTS
from services.order.domain.order import Order
from services.order.projections.folded_orders import FoldedOrders, order_id_of
from shared.ep.orders import order_document, order_items
from shared.eventstore.database import DbConnection
from shared.eventstore.store import EventStore, RecordedEvent
from shared.projections.projection import Projection

_STORE = EventStore()


_UPSERT_ORDER = (
    'INSERT INTO "{schema}".orders AS o VALUES'
    " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    " ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, payment = EXCLUDED.payment,"
    " shipping = EXCLUDED.shipping, authorized = EXCLUDED.authorized, paid = EXCLUDED.paid,"
    " updated_at = EXCLUDED.updated_at, version = EXCLUDED.version, document = EXCLUDED.document"
    " WHERE o.version < EXCLUDED.version"
)
_INSERT_ITEMS = (
    'INSERT INTO "{schema}".order_items VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)'
    " ON CONFLICT (order_id, id) DO NOTHING"
)


def _order_upto(records: Sequence[RecordedEvent], event: RecordedEvent) -> Order:
    """The order as it stood right after `event`, from its stream's records."""
    history = [
        ORDER_EVENTS.load(r.event_type, r.schema_version, r.data)
        for r in records
        if r.version <= event.version
    ]
    return Order.rehydrate(order_id_of(event.stream_id), history)


def _order_row(order: Order, version: int) -> tuple[Any, ...]:
    snapshot, state = order.snapshot(), order.state
    totals, customer = snapshot.totals, snapshot.customer
    return (
        order.id,
        state.status,
        state.payment,
        state.shipping,
        customer.id,
        customer.name,
        customer.email,
        totals.currency,
        totals.with_tax,
        totals.without_tax,
        totals.tax,
        totals.discount,
        state.authorized,
        state.paid,
        snapshot.order_number,
        snapshot.external_ref,
        snapshot.checked_out_at,
        state.updated_at or snapshot.checked_out_at,
        version,
        order_document(snapshot, state),
    )


def _item_rows(order: Order) -> list[tuple[Any, ...]]:
    snapshot = order.snapshot()
    return [
        (order.id, doc["id"], n, line.type, line.product_id, line.sku, line.name, line.quantity, doc)
        for n, (line, doc) in enumerate(zip(snapshot.items, order_items(snapshot), strict=True))
    ]


class OrdersProjection(Projection):
    name: ClassVar[str] = "orders"
    event_types = frozenset(ORDER_EVENTS.event_types())

    def __init__(self, *, remembered: int = 2048) -> None:
        self._folded = FoldedOrders(remembered)

    def ddl(self, schema: str) -> list[str]:
        return [
            f'CREATE TABLE IF NOT EXISTS "{schema}".orders ('
            " id text PRIMARY KEY, status text NOT NULL, payment text NOT NULL, shipping text NOT NULL,"
            " customer_id text, customer_name text NOT NULL, customer_email text NOT NULL,"
            " currency text NOT NULL, with_tax bigint NOT NULL, without_tax bigint NOT NULL,"
            " tax bigint NOT NULL, discount bigint NOT NULL, authorized bigint NOT NULL,"
            " paid bigint NOT NULL, order_number text, external_ref text,"
            " created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,"
            " version integer NOT NULL, document jsonb NOT NULL)",
            f'CREATE INDEX IF NOT EXISTS orders_created ON "{schema}".orders (created_at, id)',
            f'CREATE INDEX IF NOT EXISTS orders_customer ON "{schema}".orders (customer_id, created_at)',
            f'CREATE INDEX IF NOT EXISTS orders_email ON "{schema}".orders (customer_email)',
            f'CREATE INDEX IF NOT EXISTS orders_statuses ON "{schema}".orders (status, payment, shipping)',
            f'CREATE TABLE IF NOT EXISTS "{schema}".order_items ('
            " order_id text NOT NULL, id text NOT NULL, position integer NOT NULL, type text NOT NULL,"
            " product_id text, sku text NOT NULL, name text NOT NULL, quantity integer NOT NULL,"
            " document jsonb NOT NULL, PRIMARY KEY (order_id, id))",
            f'CREATE INDEX IF NOT EXISTS order_items_product ON "{schema}".order_items (product_id)',
            f'CREATE INDEX IF NOT EXISTS order_items_sku ON "{schema}".order_items (sku)',
        ]

    async def apply(self, conn: DbConnection, schema: str, event: RecordedEvent) -> None:
        await self.apply_batch(conn, schema, [event])

    async def apply_batch(self, conn: DbConnection, schema: str, events: Sequence[RecordedEvent]) -> None:
        batch: dict[str, list[RecordedEvent]] = {}
        placed: set[str] = set()
        for event in events:
            if self.wants(event):
                batch.setdefault(event.stream_id, []).append(event)
                if event.event_type == "OrderPlaced":
                    placed.add(event.stream_id)
        if not batch:
            return
        folded = {stream_id: self._folded.advance(stream_id, evs) for stream_id, evs in batch.items()}
        orders = {stream_id: order for stream_id, order in folded.items() if order is not None}
        if unknown := [stream_id for stream_id in batch if stream_id not in orders]:
            streams = await _STORE.read_streams(conn, unknown)
            for stream_id in unknown:
                orders[stream_id] = _order_upto(streams[stream_id], batch[stream_id][-1])
                self._folded.remember(stream_id, orders[stream_id])
        rows: list[tuple[Any, ...]] = []
        items: list[tuple[Any, ...]] = []
        for stream_id in batch:
            order = orders[stream_id]
            rows.append(_order_row(order, batch[stream_id][-1].version))
            if stream_id in placed:
                items += _item_rows(order)
        await conn.executemany(_UPSERT_ORDER.format(schema=schema), rows)
        if items:
            await conn.executemany(_INSERT_ITEMS.format(schema=schema), items)
