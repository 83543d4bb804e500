"""What every home of a consumer's inbox and parked messages must do (shared/messaging/
consumer_tables.py): the contract suite run on PostgreSQL's tables and in memory, so the fast
tier's wiring tests can be believed about redeliveries and parking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.eventstore.errors import ConcurrencyError
from shared.messaging.consumer_tables import ConsumerTables


@dataclass
class Tables:
    """The port under test, and the database its units of work come from."""

    tables: ConsumerTables
    database: Any  # unit_of_work(one_statement=...) yielding a ConsumerUnit


def _consumer() -> str:
    return f"consumer-{uuid4().hex[:8]}"


class ConsumerTablesContract:
    async def test_a_claim_commits_with_its_unit_and_names_only_the_new_messages(self, t: Tables) -> None:
        consumer, first, second = _consumer(), uuid4(), uuid4()
        async with t.database.unit_of_work() as uow:
            assert await t.tables.claim(uow, consumer, [first], ["CartCheckedOut"]) == {first}
        assert await t.tables.seen(consumer, first)
        async with t.database.unit_of_work() as uow:
            fresh = await t.tables.claim(uow, consumer, [first, second], ["CartCheckedOut", "OrderShipped"])
        assert fresh == {second}
        assert not await t.tables.seen(_consumer(), first)  # each consumer has an inbox of its own

    async def test_a_claim_in_a_unit_that_fails_leaves_nothing(self, t: Tables) -> None:
        consumer, message = _consumer(), uuid4()
        with pytest.raises(RuntimeError):
            async with t.database.unit_of_work() as uow:
                await t.tables.claim(uow, consumer, [message], ["CartCheckedOut"])
                raise RuntimeError("the handler failed")
        assert not await t.tables.seen(consumer, message)

    async def test_a_unit_recording_a_message_already_applied_fails_as_a_conflict(self, t: Tables) -> None:
        consumer, message = _consumer(), uuid4()
        async with t.database.unit_of_work(one_statement=True) as uow:
            uow.record_inbox(consumer, [message], ["CartCheckedOut"])
        assert await t.tables.seen(consumer, message)
        with pytest.raises(ConcurrencyError):
            async with t.database.unit_of_work(one_statement=True) as uow:
                uow.record_inbox(consumer, [message], ["CartCheckedOut"])

    async def test_parked_messages_come_back_oldest_first_by_key_once_each(self, t: Tables) -> None:
        consumer, a1, b1, a2 = _consumer(), uuid4(), uuid4(), uuid4()
        await t.tables.park(consumer, "a", a1, "PaymentAuthorized", b"a-1", "no order yet")
        await t.tables.park(consumer, "b", b1, "PaymentCaptured", b"b-1", "no order yet")
        await t.tables.park(consumer, "a", a2, "PaymentCaptured", b"a-2", "no order yet")
        await t.tables.park(consumer, "a", a1, "PaymentAuthorized", b"a-1", "parked again")  # no change
        await t.tables.park(_consumer(), "a", uuid4(), "PaymentAuthorized", b"other", "another consumer")
        everything = await t.tables.parked(consumer)
        assert [(p.key, p.topic, p.payload) for p in everything] == [
            ("a", "PaymentAuthorized", b"a-1"),
            ("b", "PaymentCaptured", b"b-1"),
            ("a", "PaymentCaptured", b"a-2"),
        ]
        assert [p.payload for p in await t.tables.parked(consumer, "a")] == [b"a-1", b"a-2"]
        assert await t.tables.parked(consumer, "c") == []

    async def test_an_unparked_message_is_gone_and_only_it(self, t: Tables) -> None:
        consumer = _consumer()
        ids: list[UUID] = [uuid4(), uuid4()]
        for n, event_id in enumerate(ids):
            await t.tables.park(consumer, "k", event_id, "PaymentAuthorized", f"{n}".encode(), "waiting")
        first, second = await t.tables.parked(consumer, "k")
        await t.tables.unpark(first.id)
        assert await t.tables.parked(consumer) == [second]
