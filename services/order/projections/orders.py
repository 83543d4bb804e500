"""The order list behind `GET /v2/orders`: one row per order, with the columns it is filtered and
sorted by and the facts its Elastic Path document is built from.

A row stores the order's statuses and money received (derived by the aggregate's own fold, so the
list agrees with `GET /v2/orders/:id`) and the `OrderPlaced` facts as the event store holds them;
the documents are built when the list is read (`listing.py`), with the same code as a single read.
Storing built documents made them the bulk of a rebuild's work and of its writes (an order and an
item document of over a kilobyte each, for rows mostly never read), and left them stale whenever
the way documents look changed.

A row depends only on its order's latest state, so a batch folds each order once, at its last event
in the batch: orders placed in the batch are inserted with their facts, the others have only their
statuses updated, in one statement whatever the batch's size (`unnest` of the rows' columns). An
order an admin corrected in the batch also has its `order_number`, `external_ref` and stored facts
replaced by the corrected ones (a third statement, only for those: a correction is rare, a status
change is not). Orders folded by an earlier batch are continued from memory (`folded_orders.py`), so
only streams it does not continue are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from services.order.domain.events import ORDER_EVENTS, OrderAnonymised, OrderDetailsCorrected, OrderPlaced
from services.order.domain.order import Order
from services.order.projections.folded_orders import FoldedOrders, order_id_of
from shared.eventstore.database import DbConnection
from shared.eventstore.store import EventStore, RecordedEvent
from shared.projections.projection import Projected, Projection

_STORE = EventStore()


# The batch's rows as columns, one statement whatever their number (`executemany` would run one
# statement per row).
_INSERT_ORDER = (
    'INSERT INTO "{schema}".orders AS o SELECT * FROM unnest('
    "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],"
    " $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[],"
    " $15::text[], $16::text[], $17::timestamptz[], $18::timestamptz[], $19::integer[], $20::integer[],"
    " $21::json[])"
    " ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, payment = EXCLUDED.payment,"
    " shipping = EXCLUDED.shipping, authorized = EXCLUDED.authorized, paid = EXCLUDED.paid,"
    " updated_at = EXCLUDED.updated_at, version = EXCLUDED.version"
    " WHERE o.version < EXCLUDED.version"
)
_CORRECT_ORDER = (
    'UPDATE "{schema}".orders SET order_number = $2, external_ref = $3, placed_version = $4, placed = $5,'
    " customer_email = $7 WHERE id = $1 AND version < $6"
)
_UPDATED_COLUMNS = ("text", "text", "text", "text", "bigint", "bigint", "timestamptz", "integer")


def _update_order(first: int) -> str:
    """The statuses of orders placed before, from the 8 columns of their rows, numbered from `first`.

    `o.id = ANY(ids)` restates the join as a condition the primary key answers: with only the join,
    the plan cached for the connection (which cannot know how many rows `unnest` gives) hashes the
    batch and scans the whole table, until it holds about ten thousand orders."""
    columns = ", ".join(f"${first + n}::{kind}[]" for n, kind in enumerate(_UPDATED_COLUMNS))
    return (  # only numbered placeholders and this code's type names are spliced in
        'UPDATE "{schema}".orders AS o SET status = u.status, payment = u.payment, shipping = u.shipping,'  # noqa: S608
        " authorized = u.authorized, paid = u.paid, updated_at = u.updated_at, version = u.version"
        " FROM unnest(" + columns + ")"
        " AS u(id, status, payment, shipping, authorized, paid, updated_at, version)"
        " WHERE o.id = u.id AND o.version < u.version AND o.id = ANY($" + str(first) + "::text[])"
    )


_UPDATE_ORDER = _update_order(1)
_PLACE_AND_UPDATE = "WITH placed AS (" + _INSERT_ORDER + ") " + _update_order(22)
"""New orders' rows and the other orders' changes in one statement ($1-$21 the new rows, $22-$29 the
changes): disjoint rows (an order placed in the batch is inserted as the batch leaves it), so both
parts may work on the same snapshot."""


def _order_upto(records: Sequence[RecordedEvent], event: RecordedEvent) -> Order:
    """The order as it stood right after `event`, from its stream's records."""
    history = [
        ORDER_EVENTS.load(r.event_type, r.schema_version, r.data)
        for r in records
        if r.version <= event.version
    ]
    return Order.rehydrate(order_id_of(event.stream_id), history)


def _placed_facts(order: Order, placed: RecordedEvent | None) -> tuple[int, dict[str, Any]]:
    """The `OrderPlaced` facts to store: as recorded, or with the corrections folded in."""
    snapshot = order.placed
    assert snapshot is not None
    if placed is not None and not order.corrected:
        return placed.schema_version, placed.data
    return OrderPlaced.schema_version, snapshot.model_dump(mode="json")


def _corrected_row(order: Order, version: int) -> tuple[Any, ...]:
    assert order.placed is not None
    placed_version, facts = _placed_facts(order, None)
    return (
        order.id,
        order.placed.order_number,
        order.placed.external_ref,
        placed_version,
        facts,
        version,
        _email_column(order),
    )


def _email_column(order: Order) -> str:
    """What `eq(email, ...)` matches: the email, or its keyed hash once sealed (shared/privacy);
    nothing once the order is anonymised."""
    assert order.placed is not None
    if order.anonymised:
        return ""
    customer = order.placed.customer
    return customer.email_index or customer.email


def _new_row(order: Order, version: int, placed: RecordedEvent) -> tuple[Any, ...]:
    state = order.state  # raises OrderNotFound for a stream with no OrderPlaced
    snapshot = order.placed
    assert snapshot is not None
    placed_version, facts = _placed_facts(order, placed)
    totals, customer = snapshot.totals, snapshot.customer
    return (
        order.id,
        state.status,
        state.payment,
        state.shipping,
        customer.id,
        customer.name,
        _email_column(order),
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
        placed_version,
        facts,
    )


def _changed_row(order: Order, version: int) -> tuple[Any, ...]:
    state = order.state
    assert order.placed is not None
    updated_at = state.updated_at or order.placed.checked_out_at
    return (
        order.id,
        state.status,
        state.payment,
        state.shipping,
        state.authorized,
        state.paid,
        updated_at,
        version,
    )


def _columns(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows (one per order of the batch, so no id twice) as the columns an `unnest` takes."""
    return [list(column) for column in zip(*rows, strict=True)]


class OrdersProjection(Projection):
    name: ClassVar[str] = "orders"
    registry = ORDER_EVENTS
    event_types = frozenset(ORDER_EVENTS.event_types())
    # 2: `customer_email` holds the email's keyed hash when the email is sealed, "" once anonymised.
    version: ClassVar[int] = 2

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
            " version integer NOT NULL, placed_version integer NOT NULL, placed json NOT NULL)",
            f'CREATE INDEX IF NOT EXISTS orders_created ON "{schema}".orders (created_at, id)',
            f'CREATE INDEX IF NOT EXISTS orders_customer ON "{schema}".orders (customer_id, created_at)',
            f'CREATE INDEX IF NOT EXISTS orders_email ON "{schema}".orders (customer_email)',
            f'CREATE INDEX IF NOT EXISTS orders_statuses ON "{schema}".orders (status, payment, shipping)',
        ]

    async def apply(self, conn: DbConnection, schema: str, event: Projected) -> None:
        await self.apply_batch(conn, schema, [event.record])

    async def apply_batch(self, conn: DbConnection, schema: str, events: Sequence[RecordedEvent]) -> None:
        batch: dict[str, list[RecordedEvent]] = {}
        placed: dict[str, RecordedEvent] = {}
        corrected: set[str] = set()
        for event in events:
            if self.wants(event):
                batch.setdefault(event.stream_id, []).append(event)
                if event.event_type == "OrderPlaced":
                    placed[event.stream_id] = event
                elif event.event_type in (OrderDetailsCorrected.event_type, OrderAnonymised.event_type):
                    corrected.add(event.stream_id)
        if not batch:
            return
        folded = {stream_id: self._folded.advance(stream_id, evs) for stream_id, evs in batch.items()}
        orders = {stream_id: order for stream_id, order in folded.items() if order is not None}
        if unknown := [stream_id for stream_id in batch if stream_id not in orders]:
            streams = await _STORE.read_streams(conn, unknown)
            for stream_id in unknown:
                orders[stream_id] = _order_upto(streams[stream_id], batch[stream_id][-1])
                self._folded.remember(stream_id, orders[stream_id])
        new: list[tuple[Any, ...]] = []
        changed: list[tuple[Any, ...]] = []
        details: list[tuple[Any, ...]] = []
        for stream_id, events_of_order in batch.items():
            order, version = orders[stream_id], events_of_order[-1].version
            if stream_id in placed:
                new.append(_new_row(order, version, placed[stream_id]))
            else:
                changed.append(_changed_row(order, version))
                if stream_id in corrected:
                    details.append(_corrected_row(order, version))
        if new and changed and not details:
            await conn.execute(_PLACE_AND_UPDATE.format(schema=schema), *_columns(new), *_columns(changed))
            return
        if new:
            await conn.execute(_INSERT_ORDER.format(schema=schema), *_columns(new))
        if details:  # before the statuses: both apply only to a row at an older version
            await conn.executemany(_CORRECT_ORDER.format(schema=schema), details)
        if changed:
            await conn.execute(_UPDATE_ORDER.format(schema=schema), *_columns(changed))
