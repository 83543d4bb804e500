"""The `orders` read model behind `GET /v2/orders`: its listed orders equal what a single read shows,
its queries filter, page and sort, and a rebuild from the event store gives the same rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.order.adapters.http.documents import view_document, view_items
from services.order.projections.listing import InvalidListQuery, OrderQuery, list_orders
from services.order.projections.orders import OrdersProjection
from shared.contracts.values import Customer
from shared.eventstore.store import EventStore
from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer import EventConsumer
from shared.projections.rebuild import rebuild_projection
from shared.projections.runner import ProjectionRunner
from tests.order.builders import NOW, authorized, captured, checkout, envelope, message, shipped
from tests.order.reads import view

LESLIE = Customer(id="cust-leslie", name="Leslie Knope", email="leslie@example.com")


async def orders_in_every_state(consumer: EventConsumer) -> None:
    """o-1 complete and shipped, o-2 processing (a registered customer's), o-3 incomplete, checked
    out in that order an hour apart."""
    checkouts = [
        checkout("o-1", at=NOW),
        checkout("o-2", at=NOW + timedelta(hours=1), customer=LESLIE),
        checkout("o-3", at=NOW + timedelta(hours=2)),
    ]
    facts = [authorized("o-1", "t1"), captured("o-1", "t1"), shipped("o-1"), authorized("o-2", "t2")]
    for n, event in enumerate([*checkouts, *facts]):
        await consumer.process(message(envelope(event, minutes=n * 90), offset=n))


async def rows(database: Database) -> list[tuple[object, ...]]:
    orders = await database.pool.fetch("SELECT * FROM proj_orders.orders ORDER BY id")
    return [tuple(r) for r in orders]


async def test_rows_show_what_a_single_read_shows(
    database: Database, consumer: EventConsumer, projection: ProjectionRunner
):
    await orders_in_every_state(consumer)
    await projection.catch_up()
    listed = {v.snapshot.order_id: v for v in (await list_orders(database.pool, OrderQuery())).orders}
    assert sorted(listed) == ["o-1", "o-2", "o-3"]
    for order_id, from_list in listed.items():
        single = await view(database, order_id)
        assert view_document(from_list) == view_document(single)
        assert view_items(from_list) == view_items(single)
        row = await database.pool.fetchrow("SELECT * FROM proj_orders.orders WHERE id = $1", order_id)
        assert row is not None
        assert (row["status"], row["payment"], row["shipping"]) == (
            single.state.status,
            single.state.payment,
            single.state.shipping,
        )
        assert (row["customer_id"], row["customer_email"], row["customer_name"]) == (
            single.snapshot.customer.id,
            single.snapshot.customer.email,
            single.snapshot.customer.name,
        )
        assert (row["currency"], row["with_tax"], row["paid"], row["authorized"]) == (
            "USD",
            single.snapshot.totals.with_tax,
            single.state.paid,
            single.state.authorized,
        )
        assert (row["created_at"], row["updated_at"]) == (
            single.snapshot.checked_out_at,
            single.state.updated_at or single.snapshot.checked_out_at,
        )
    statuses = await database.pool.fetch(
        "SELECT id, status, payment, shipping FROM proj_orders.orders ORDER BY id"
    )
    assert [tuple(r) for r in statuses] == [
        ("o-1", "complete", "paid", "fulfilled"),
        ("o-2", "processing", "authorized", "unfulfilled"),
        ("o-3", "incomplete", "unpaid", "unfulfilled"),
    ]


async def ids(database: Database, query: OrderQuery) -> tuple[list[str], int]:
    page = await list_orders(database.pool, query)
    return [o.snapshot.order_id for o in page.orders], page.total


async def test_the_list_filters_pages_and_sorts(
    database: Database, consumer: EventConsumer, projection: ProjectionRunner
):
    await orders_in_every_state(consumer)
    await projection.catch_up()
    assert await ids(database, OrderQuery()) == (["o-3", "o-2", "o-1"], 3)  # newest first by default
    assert await ids(database, OrderQuery(sort="created_at", limit=1, offset=1)) == (["o-2"], 3)
    assert await ids(database, OrderQuery(offset=5)) == ([], 3)  # past the end: still counted
    assert await ids(database, OrderQuery(filters=(("status", "complete"),), offset=1)) == ([], 1)
    assert await ids(database, OrderQuery(filters=(("status", "complete"),))) == (["o-1"], 1)
    assert await ids(database, OrderQuery(filters=(("payment", "unpaid"),))) == (["o-3"], 1)
    assert await ids(database, OrderQuery(filters=(("shipping", "unfulfilled"),))) == (["o-3", "o-2"], 2)
    assert await ids(database, OrderQuery(filters=(("customer_id", "cust-leslie"),))) == (["o-2"], 1)
    assert await ids(
        database, OrderQuery(filters=(("email", "ron@example.com"), ("status", "incomplete")))
    ) == (
        ["o-3"],
        1,
    )
    assert await ids(database, OrderQuery(filters=(("status", "cancelled"),), offset=100)) == ([], 0)


@pytest.mark.parametrize(
    "query",
    [
        OrderQuery(limit=0),
        OrderQuery(limit=101),
        OrderQuery(offset=10_001),
        OrderQuery(filters=(("password", "x"),)),
        OrderQuery(sort="-customer_email"),
    ],
)
async def test_a_list_query_outside_the_rules_is_a_bad_request(database: Database, projection, query):
    with pytest.raises(InvalidListQuery) as error:
        await list_orders(database.pool, query)
    assert error.value.status == 400


async def test_a_rebuild_from_the_event_store_gives_the_same_rows(
    database: Database, consumer: EventConsumer, projection: ProjectionRunner
):
    await orders_in_every_state(consumer)
    await projection.catch_up()
    live = await rows(database)
    assert len(live) == 3
    report = await rebuild_projection(database.pool, projection.projection)
    assert report.events == 3 + 4 + 1  # checkouts, facts, o-1's completion
    assert await rows(database) == live


@pytest.mark.parametrize("remembered", [0, 2048])
@pytest.mark.parametrize("batch_size", [1, 2, 3])
async def test_orders_folded_across_small_batches_give_the_rows_of_one_fold(
    database: Database,
    consumer: EventConsumer,
    projection: ProjectionRunner,
    batch_size: int,
    remembered: int,
):
    """Every order spans several batches: continued from memory (or read again when nothing is
    remembered), the rows are those of folding each whole stream at once."""
    await orders_in_every_state(consumer)
    await projection.catch_up()
    live = await rows(database)
    await rebuild_projection(database.pool, OrdersProjection(remembered=remembered), batch_size=batch_size)
    assert await rows(database) == live


async def test_a_batch_folded_again_after_its_transaction_rolled_back_gives_the_same_rows(
    database: Database, consumer: EventConsumer, projection: ProjectionRunner
):
    """The remembered orders are already past the batch when it comes again: they are not continued
    (that would fold its events twice); the streams are read."""
    await orders_in_every_state(consumer)
    await projection.catch_up()
    live = await rows(database)
    orders = OrdersProjection()
    events = await EventStore().read_log(database.pool)
    async with database.pool.acquire() as conn:
        await conn.execute("TRUNCATE proj_orders.orders")
        await orders.apply_batch(conn, orders.schema, events[:-3])
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await orders.apply_batch(conn, orders.schema, events[-3:])
                raise RuntimeError("the runner's transaction failed after folding")
        await orders.apply_batch(conn, orders.schema, events[-3:])
    assert await rows(database) == live


async def test_a_batch_placing_orders_and_changing_others_writes_both(
    database: Database, consumer: EventConsumer, projection: ProjectionRunner
):
    """Orders placed in a batch and changes to orders placed before go in one statement: the rows
    are those of folding the whole log at once."""
    await orders_in_every_state(consumer)
    await projection.catch_up()
    live = await rows(database)
    orders = OrdersProjection(remembered=0)
    events = await EventStore().read_log(database.pool)
    assert events[0].event_type == "OrderPlaced"
    async with database.pool.acquire() as conn:
        await conn.execute("TRUNCATE proj_orders.orders")
        await orders.apply_batch(conn, orders.schema, events[:1])  # o-1 placed
        await orders.apply_batch(conn, orders.schema, events[1:])  # o-2, o-3 placed; o-1 paid, shipped
    assert await rows(database) == live
