"""Two instances of the order service, each with its stream cache (shared/eventstore/stream_cache.py):
one moves an order on while the other still holds it as it was; the other's next message about the
order is applied to the order as it now is, not to its stale copy, and nothing is lost."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.order.adapters.consumers import build_order_consumer
from shared.eventstore.unit_of_work import Database
from shared.messaging.consumer import EventConsumer
from tests.order.builders import authorized, captured, checkout, envelope, message
from tests.order.reads import statuses, stream_version
from tests.support.databases import RecordedDeadLetters, another_process


@pytest.fixture
async def other_instance(database: Database) -> AsyncIterator[Database]:
    async with another_process(database) as other:
        yield other


def _consumer(database: Database, dead_letters: RecordedDeadLetters) -> EventConsumer:
    consumer = build_order_consumer()
    consumer.bind(database, dead_letters)  # type: ignore[arg-type]
    return consumer


async def test_a_message_about_an_order_moved_on_elsewhere_applies_to_the_order_as_it_is(
    database: Database, other_instance: Database, dead_letters: RecordedDeadLetters
) -> None:
    first, second = _consumer(database, dead_letters), _consumer(other_instance, dead_letters)
    await first.process(message(envelope(checkout("o-1"), producer="cart", minutes=0)))  # cached at 1
    await second.process(message(envelope(authorized("o-1", "t1")), offset=1))  # moves it on
    version = await stream_version(database, "o-1")

    await first.process(message(envelope(captured("o-1", "t1"), minutes=2), offset=2))

    assert await statuses(database, "o-1") == ("complete", "paid", "unfulfilled")
    assert await stream_version(database, "o-1") > version
    assert dead_letters.messages == []
