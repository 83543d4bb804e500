"""`dlq retry` re-delivers to the consumer that dead-lettered the message, only (issue 21, point 5).

Two consumer groups read one topic and both dead-letter the same message. The operator discards
one group's letter, fixes the other's cause and retries its letter: that group applies the message
once, and the first group, whose cause is still there, never sees it again (before, it failed on
the copy and dead-lettered it anew, the letter just discarded coming back). "Never sees it" is
counted once that group has applied a later message of the same key, so it read past the copy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from uuid import UUID, uuid4

import pytest

from checkout_admin import dead_letters
from checkout_admin.config import StackConfig
from shared.contracts.envelope import Envelope
from shared.eventstore.port import UnitOfWork
from shared.messaging.consumer import EventConsumer
from shared.runtime import ServiceRuntime
from tests.kernel.apps.contracts import ProbeCredited
from tests.support.kafka import publish_event
from tests.support.polling import poll_until

POISON = 13
"""A credit of this amount fails in every consumer whose cause is not fixed yet."""
FIRST, SECOND = "kernel-retry-first", "kernel-retry-second"


class Ledger:
    """One consumer group's handler: which credits it applied, and whether it can take the poison."""

    def __init__(self, name: str) -> None:
        self.broken = True
        self.applied: list[UUID] = []
        self.consumer = EventConsumer(name, max_attempts=2, retry_delay=0.01)
        self.consumer.handles(ProbeCredited)(self.credit)

    async def credit(self, event: ProbeCredited, envelope: Envelope, uow: UnitOfWork) -> None:
        if event.amount == POISON and self.broken:
            raise RuntimeError(f"{self.consumer.name} cannot take this credit yet")
        uow.after_commit(lambda: self.applied.append(envelope.event_id))


@pytest.fixture
async def ledgers(
    postgres, kafka_bootstrap_servers: str, topic_prefix: str
) -> AsyncIterator[dict[str, Ledger]]:
    found = {name: Ledger(name) for name in (FIRST, SECOND)}
    async with AsyncExitStack() as running:
        for name, ledger in found.items():
            database = f"{name.replace('-', '_')}_{uuid4().hex[:8]}"
            await postgres.create_database(database)
            runtime = ServiceRuntime(
                name,
                database_url=postgres.dsn(database),
                kafka_bootstrap_servers=kafka_bootstrap_servers,
                topic_prefix=topic_prefix,
                consumers=[ledger.consumer],
            )
            await running.enter_async_context(runtime)
        yield found


def letter_of(consumer: str, event_id: UUID) -> Callable[[list[dead_letters.DeadLetter]], bool]:
    return lambda letters: any(
        d.header("dlq.consumer") == consumer and str(event_id) in d.value.decode() for d in letters
    )


async def test_a_retry_reaches_only_the_consumer_that_dead_lettered_it(
    ledgers: dict[str, Ledger], kafka_bootstrap_servers: str, topic_prefix: str
) -> None:
    config = StackConfig("postgresql://unused/unused", kafka_bootstrap_servers, topic_prefix)
    first, second = ledgers[FIRST], ledgers[SECOND]
    poison = await publish_event(
        kafka_bootstrap_servers, topic_prefix, ProbeCredited(account_id="acct", amount=POISON), "acct"
    )
    both = await poll_until(
        lambda: dead_letters.pending(config),
        lambda letters: (
            letter_of(FIRST, poison.event_id)(letters) and letter_of(SECOND, poison.event_id)(letters)
        ),
    )
    by_consumer = {d.header("dlq.consumer"): d.ref for d in both}
    assert set(by_consumer) == {FIRST, SECOND}, both

    await dead_letters.discard(config, by_consumer[SECOND])  # the second group never wants it
    first.broken = False  # the first group's cause is fixed
    await dead_letters.retry(config, by_consumer[FIRST])
    await poll_until(lambda: first.applied, lambda applied: poison.event_id in applied)

    # A later credit of the same key lands after the retried copy in the same partition.
    later = await publish_event(
        kafka_bootstrap_servers, topic_prefix, ProbeCredited(account_id="acct", amount=1), "acct"
    )
    await poll_until(lambda: second.applied, lambda applied: later.event_id in applied)
    await poll_until(lambda: first.applied, lambda applied: later.event_id in applied)

    assert first.applied == [poison.event_id, later.event_id]
    assert second.applied == [later.event_id]
    assert second.consumer.dead_lettered == 1, "the second group failed on the retry meant for the first"
    assert second.consumer.skipped_retries == 1
    assert first.consumer.dead_lettered == 1
    assert await dead_letters.pending(config) == []
