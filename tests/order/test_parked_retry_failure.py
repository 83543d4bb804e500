"""A message that ran a retry of what was parked under its key is applied, and the consumer goes
on, even when that retry fails. Before, the retry's transient failure (a concurrent writer on the
order's stream) escaped from `process()`, and with it from the fetched batch: the rest of the batch
was never applied while its offsets moved on. `make bench` lost ~20 checkouts a run that way.

The conflict is injected into the parked message's second run only (the first parks it, the third,
the sweep's, applies it); everything else is the order service's consumer on a real database."""

from __future__ import annotations

from services.order.adapters.consumers import build_order_consumer, on_payment
from shared.contracts.envelope import Envelope
from shared.contracts.events import PaymentAuthorized
from shared.eventstore.errors import ConcurrencyError
from shared.eventstore.port import UnitOfWork
from shared.eventstore.unit_of_work import Database
from tests.order.builders import authorized, checkout, envelope, message
from tests.order.reads import parked, statuses
from tests.support.databases import RecordedDeadLetters


async def test_a_failed_retry_of_parked_messages_loses_nothing(
    database: Database, dead_letters: RecordedDeadLetters
) -> None:
    consumer = build_order_consumer()
    consumer.bind(database, dead_letters)  # type: ignore[arg-type]
    runs: list[int] = []

    @consumer.handles(PaymentAuthorized)
    async def meets_a_writer_on_its_retry(event: PaymentAuthorized, env: Envelope, uow: UnitOfWork) -> None:
        runs.append(1)
        if len(runs) == 2:
            raise ConcurrencyError(f"order-{event.order_id}", 1)
        await on_payment(event, env, uow)

    await consumer.process(message(envelope(authorized("o-9", "t9"))))  # before its order: parked
    assert await parked(database) == 1

    # the checkout is applied, then the key's parked message retried: that retry fails
    await consumer.process(message(envelope(checkout("o-9"), producer="cart", minutes=0), offset=1))
    assert len(runs) == 2
    assert await statuses(database, "o-9") == ("incomplete", "unpaid", "unfulfilled")
    assert await parked(database) == 1  # still parked, for the sweep

    assert await consumer.retry_parked() == 1
    assert await statuses(database, "o-9") == ("processing", "authorized", "unfulfilled")
    assert await parked(database) == 0 and not dead_letters.messages
