"""`projections status` counts as lag only the events a projection folds (issue 21, point 4).

A projection's runner steps over the event types it does not fold without moving its checkpoint, so
on an idle stack the checkpoint sits before every later event of another type; counting those said
"14 behind" where nothing was left to do.
"""

from __future__ import annotations

from typing import ClassVar

from checkout_admin.projections import events_to_fold
from shared.contracts.registry import EventRegistry, VersionedEvent
from shared.domain.aggregate import Aggregate
from shared.eventstore.port import UnitOfWork
from shared.eventstore.unit_of_work import Database
from shared.projections.runner import ProjectionRunner, read_checkpoint
from tests.kernel.apps.ledger_service import Account
from tests.kernel.test_projections import Balances

NOTES = EventRegistry("lag-test-notes")


@NOTES.register
class AccountNoted(VersionedEvent):
    """An event type `Balances` does not fold."""

    text: str


class Notebook(Aggregate):
    stream_type = "notebook"
    registry: ClassVar[EventRegistry] = NOTES

    def note(self, text: str) -> None:
        self._record(AccountNoted(text=text))

    def apply(self, event: VersionedEvent) -> None:
        pass


async def credit(database: Database, account_id: str, amount: int) -> None:
    async def command(uow: UnitOfWork) -> None:
        (await uow.load(Account, account_id)).credit(amount, "c")

    await database.run(command)


async def note(database: Database, notebook_id: str, times: int) -> None:
    async def command(uow: UnitOfWork) -> None:
        notebook = await uow.load(Notebook, notebook_id)
        for n in range(times):
            notebook.note(f"note {n}")

    await database.run(command)


async def lag(database: Database, projection: Balances) -> int:
    checkpoint = await read_checkpoint(database.pool, projection.name)
    return await events_to_fold(database.pool, projection, checkpoint)


async def test_only_the_events_a_projection_folds_count_as_lag(database: Database) -> None:
    projection = Balances()
    runner = ProjectionRunner(database.dsn, database.pool, projection)
    await runner.setup()
    await credit(database, "a1", 10)
    await credit(database, "a2", 20)
    assert await lag(database, projection) == 2

    await runner.catch_up()
    await note(database, "n1", 5)  # after the checkpoint, but never folded
    await runner.catch_up()  # steps over them without moving the checkpoint
    everything_after = await database.pool.fetchval(
        "SELECT count(*) FROM events e, projection_checkpoints c WHERE c.projection = $1"
        " AND (e.transaction_id, e.position) > (c.transaction_id, c.position)",
        projection.name,
    )
    assert everything_after == 5  # what the old count reported as lag
    assert await lag(database, projection) == 0

    await credit(database, "a1", 1)
    await note(database, "n1", 3)
    assert await lag(database, projection) == 1
    await runner.catch_up()
    assert await lag(database, projection) == 0
