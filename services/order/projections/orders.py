"""The order list behind `GET /v2/orders`: one row per order and one per order item.

Each event re-derives its order from the stream up to that event's version with the aggregate's
own fold, so the list shows exactly what `GET /v2/orders/:id` shows (statuses are derived from
facts, never folded twice in two places), and a rebuild gives the same rows. Orders are short
streams, so re-reading one per event is cheap.
"""

from __future__ import annotations

from typing import ClassVar

from services.order.domain.events import ORDER_EVENTS
from services.order.domain.order import Order
from shared.ep.orders import order_document, order_items
from shared.eventstore.database import DbConnection
from shared.eventstore.store import EventStore, RecordedEvent
from shared.projections.projection import Projection

_STORE = EventStore()


async def order_at(conn: DbConnection, event: RecordedEvent) -> Order:
    """The order as it stood right after `event`."""
    records = await _STORE.read_stream(conn, event.stream_id)
    upto = [r for r in records if r.version <= event.version]
    history = [ORDER_EVENTS.load(r.event_type, r.schema_version, r.data) for r in upto]
    return Order.rehydrate(event.stream_id.removeprefix(f"{Order.stream_type}-"), history)


class OrdersProjection(Projection):
    name: ClassVar[str] = "orders"
    event_types = frozenset(ORDER_EVENTS.event_types())

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
        order = await order_at(conn, event)
        snapshot, state = order.snapshot(), order.state
        totals, customer = snapshot.totals, snapshot.customer
        await conn.execute(
            f'INSERT INTO "{schema}".orders AS o VALUES'  # noqa: S608
            " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
            " ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, payment = EXCLUDED.payment,"
            " shipping = EXCLUDED.shipping, authorized = EXCLUDED.authorized, paid = EXCLUDED.paid,"
            " updated_at = EXCLUDED.updated_at, version = EXCLUDED.version, document = EXCLUDED.document"
            " WHERE o.version < EXCLUDED.version",
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
            event.version,
            order_document(snapshot, state),
        )
        if event.event_type != "OrderPlaced":
            return
        await conn.executemany(
            f'INSERT INTO "{schema}".order_items VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)'  # noqa: S608
            " ON CONFLICT (order_id, id) DO NOTHING",
            [
                (order.id, doc["id"], n, line.type, line.product_id, line.sku, line.name, line.quantity, doc)
                for n, (line, doc) in enumerate(zip(snapshot.items, order_items(snapshot), strict=True))
            ],
        )
