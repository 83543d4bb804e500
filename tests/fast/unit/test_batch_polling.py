"""A consumer's poll waits for records and never naps after an empty one (FastStream's batch loop
sleeps as long as its poll waited: a message arriving meanwhile waited for that nap, on every hop)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from faststream.kafka import KafkaBroker

from shared.contracts.envelope import Envelope
from shared.contracts.events import OrderUpdated
from shared.eventstore.port import UnitOfWork
from shared.messaging.batch_polling import IDLE_POLL_MS
from shared.messaging.consumer import EventConsumer


class FetchedNothing:
    """An aiokafka consumer whose every poll comes back empty; it records how each poll waited."""

    def __init__(self) -> None:
        self.polls: list[dict[str, Any]] = []

    async def getmany(self, *partitions: Any, timeout_ms: int = 0, max_records: int | None = None) -> dict:
        self.polls.append({"timeout_ms": timeout_ms, "max_records": max_records})
        return {}


async def _ignore(event: OrderUpdated, envelope: Envelope, uow: UnitOfWork) -> None:
    """Never called: nothing is handled."""


def _subscriber() -> Any:
    """The FastStream subscriber an `EventConsumer` of 50-message batches registers on a broker."""
    consumer = EventConsumer("probe", max_batch=50)
    consumer.handles(OrderUpdated)(_ignore)
    broker = KafkaBroker("127.0.0.1:1")
    consumer.subscribe(broker)
    [subscriber] = broker.subscribers
    return subscriber


async def test_an_empty_poll_waits_long_for_records_and_is_not_followed_by_a_nap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def no_nap(seconds: float) -> None:
        raise AssertionError(f"the consume loop napped {seconds} s after an empty poll")

    monkeypatch.setattr(anyio, "sleep", no_nap)
    subscriber = _subscriber()
    kafka = FetchedNothing()

    assert await subscriber.get_msg(kafka) == ()
    assert await subscriber.get_msg(kafka) == ()
    assert kafka.polls == [{"timeout_ms": IDLE_POLL_MS, "max_records": 50}] * 2


class Record:
    """What aiokafka fetches, as far as a batch's order goes."""

    def __init__(self, name: str, timestamp: int) -> None:
        self.name = name
        self.timestamp = timestamp


class Fetched:
    """An aiokafka consumer whose poll brings `partitions` (as `getmany` does: partition by partition)."""

    def __init__(self, partitions: dict[str, list[Record]]) -> None:
        self.partitions = partitions

    async def getmany(self, *partitions: Any, timeout_ms: int = 0, max_records: int | None = None) -> dict:
        return self.partitions


async def _batch_of(partitions: dict[str, list[Record]]) -> list[str]:
    return [record.name for record in await _subscriber().get_msg(Fetched(partitions))]


async def test_a_batch_takes_the_records_of_its_partitions_in_the_order_they_were_sent() -> None:
    payments = [Record("order 1 paid", 30), Record("order 2 paid", 50)]
    checkouts = [Record("order 1 opened", 10), Record("order 2 opened", 40), Record("order 3 opened", 60)]
    assert await _batch_of({"payments-0": payments, "checkouts-0": checkouts}) == [
        "order 1 opened",
        "order 1 paid",
        "order 2 opened",
        "order 2 paid",
        "order 3 opened",
    ]


async def test_a_partition_keeps_its_own_order_whatever_its_timestamps_say() -> None:
    skewed = [Record("first", 50), Record("second", 20)]  # a producer whose clock went back
    other = [Record("between", 30)]
    batch = await _batch_of({"a-0": skewed, "b-0": other})
    assert batch.index("first") < batch.index("second")
    assert sorted(batch) == ["between", "first", "second"]
