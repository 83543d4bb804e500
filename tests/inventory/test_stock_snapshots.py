"""A product's stock loads from its latest snapshot plus the events after it, and equals the fold of
its whole stream; its transaction history still comes whole from the stream."""

from __future__ import annotations

from uuid import uuid4

from services.inventory.application import reading, stock_admin
from services.inventory.domain.stock import Stock
from shared.eventstore.unit_of_work import Database


async def sell(database: Database, product: str, sales: int) -> None:
    """`sales` one-unit allocations on top of plenty of stock: one stock event each."""
    await database.run(lambda uow: stock_admin.create_stock(uow, product, 10 * sales))
    for _ in range(sales):
        await database.run(lambda uow: stock_admin.transact(uow, product, "allocate", 1))


async def loaded(database: Database, product: str) -> Stock:
    async with database.unit_of_work() as uow:
        return await uow.load(Stock, product)


async def folded_whole(database: Database, product: str) -> Stock:
    async with database.unit_of_work() as uow:
        return Stock.rehydrate(product, await uow.history(Stock, product))


def state(stock: Stock) -> tuple[object, ...]:
    return (stock.version, *stock.snapshot_state().values())


async def snapshot_row(database: Database, product: str) -> tuple[int, int] | None:
    row = await database.pool.fetchrow(
        "SELECT version, snapshot_version FROM snapshots WHERE stream_id = $1", f"stock-{product}"
    )
    return None if row is None else (row["version"], row["snapshot_version"])


async def test_a_snapshot_is_taken_at_each_multiple_of_snapshot_every(database: Database):
    product = str(uuid4())
    await sell(database, product, Stock.snapshot_every - 2)  # versions 1 .. every - 1
    assert await snapshot_row(database, product) is None
    await sell_more(database, product, 1)
    assert await snapshot_row(database, product) == (Stock.snapshot_every, Stock.snapshot_version)
    await sell_more(database, product, Stock.snapshot_every + 5)
    assert await snapshot_row(database, product) == (2 * Stock.snapshot_every, Stock.snapshot_version)


async def sell_more(database: Database, product: str, sales: int) -> None:
    for _ in range(sales):
        await database.run(lambda uow: stock_admin.transact(uow, product, "allocate", 1))


async def test_loading_from_the_snapshot_equals_folding_the_whole_stream(database: Database):
    product = str(uuid4())
    await sell(database, product, Stock.snapshot_every + 30)
    assert await snapshot_row(database, product) is not None
    from_snapshot, whole = await loaded(database, product), await folded_whole(database, product)
    assert state(from_snapshot) == state(whole)
    assert (whole.total, whole.allocated) == (10 * (Stock.snapshot_every + 30), Stock.snapshot_every + 30)

    # It really starts from the snapshot: a tampered snapshot shows through (no later event sets
    # `managed`), and is ignored once it is of another snapshot version: the whole stream is folded.
    stream_id = f"stock-{product}"
    assert whole.managed is None
    await database.pool.execute(
        "UPDATE snapshots SET state = jsonb_set(state, '{managed}', 'true') WHERE stream_id = $1", stream_id
    )
    assert (await loaded(database, product)).managed is True
    await database.pool.execute(
        "UPDATE snapshots SET snapshot_version = snapshot_version - 1 WHERE stream_id = $1", stream_id
    )
    assert state(await loaded(database, product)) == state(whole)


async def test_the_history_still_lists_every_transaction(database: Database):
    product = str(uuid4())
    sales = Stock.snapshot_every + 3
    await sell(database, product, sales)
    history, total = await reading.get_transactions(database, product, 100, 0)
    assert total == len(history)
    first = await reading.get_transaction(database, product, history[0].id)
    assert [t.action for t in history] == ["set"] + ["allocate"] * sales
    assert first.action == "set" and first.quantity == 10 * sales


async def test_two_streams_read_together_start_each_from_its_own_snapshot(database: Database):
    """`load_pair` (one statement for two aggregates) reads a snapshotting aggregate as `load` does:
    its snapshot and the events after it, so equal to the fold of the whole stream; a second stream
    with no snapshot (and one with no events at all) beside it."""
    snapshotted, short, missing = str(uuid4()), str(uuid4()), str(uuid4())
    await sell(database, snapshotted, Stock.snapshot_every + 7)
    await sell(database, short, 3)
    assert await snapshot_row(database, snapshotted) is not None
    await database.pool.execute(  # a tampered snapshot shows it really starts from there
        "UPDATE snapshots SET state = jsonb_set(state, '{managed}', 'true') WHERE stream_id = $1",
        f"stock-{snapshotted}",
    )

    async with database.unit_of_work() as uow:
        first, second = await uow.load_pair(Stock, snapshotted, Stock, short)
        assert await uow.load(Stock, short) is second  # tracked: no second read
    async with database.unit_of_work() as uow:
        _, empty = await uow.load_pair(Stock, short, Stock, missing)

    whole = await folded_whole(database, snapshotted)
    assert (first.managed, whole.managed) == (True, None)
    assert (first.version, first.total, first.allocated) == (whole.version, whole.total, whole.allocated)
    assert state(second) == state(await folded_whole(database, short))
    assert (empty.version, empty.total) == (0, 0)
