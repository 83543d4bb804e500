"""Kafka offsets collected per partition and committed together, later: the next offset to read of
every partition handled, one commit per interval, and on a failed commit only what the consumer
still owns is tried again (a partition moved to another member is redelivered there, harmlessly)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.messaging.offset_commits import OffsetCommitter
from tests.support.polling import poll_until


class _Coordinator:
    """The part of aiokafka's group coordinator the committer reads."""

    def __init__(self) -> None:
        self.generation = 1
        self._rejoin_needed_fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()


class _Subscriptions:
    reassignment_in_progress = False


class RecordingConsumer:
    """Records commits; `fail` makes the next commit raise, as during a rebalance; `rebalance()` and
    `join(owned)` move it through a rebalance the way aiokafka's coordinator does."""

    def __init__(self, owned: set[TopicPartition]) -> None:
        self.owned = owned
        self.commits: list[dict[TopicPartition, int]] = []
        self.fail = False
        self._coordinator = _Coordinator()
        self._subscription = _Subscriptions()
        self._closed = False

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.fail:
            self.fail = False
            raise RuntimeError("CommitFailedError: the group rebalanced")
        self.commits.append(dict(offsets))

    def assignment(self) -> set[TopicPartition]:
        return self.owned

    def rebalance(self) -> None:
        """A heartbeat answered "rebalancing": a rejoin is pending."""
        self._coordinator._rejoin_needed_fut.set_result(None)
        self._subscription.reassignment_in_progress = True

    def join(self, owned: set[TopicPartition]) -> None:
        """The rebalance is over: a new generation, and these partitions."""
        self._coordinator.generation += 1
        self._coordinator._rejoin_needed_fut = asyncio.get_running_loop().create_future()
        self._subscription.reassignment_in_progress = False
        self.owned = owned


async def committed(recording: RecordingConsumer, count: int) -> None:
    """Wait for `count` commits: the committer's timer fires in the background, and a busy machine
    can stall the test longer than a fixed sleep (the retry after a failure takes two intervals)."""
    await poll_until(lambda: recording.commits, lambda commits: len(commits) >= count, interval=0.01)


A0, A1, B0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)


def _as_consumer(recording: RecordingConsumer) -> AIOKafkaConsumer:
    return cast(Any, recording)


async def test_messages_of_an_interval_are_committed_together_past_the_last_one() -> None:
    recording = RecordingConsumer({A0, A1, B0})
    committer = OffsetCommitter("test", interval=0.05)
    for topic, partition, offset in [("a", 0, 7), ("a", 1, 3), ("a", 0, 8), ("b", 0, 0)]:
        committer.processed(_as_consumer(recording), topic, partition, offset)
    assert recording.commits == []  # nothing yet: one request per interval, not per message
    await committed(recording, 1)
    # A sentinel handled after the first commit: once its own commit is in, the committer has
    # flushed since, and a second, wrong, commit of those offsets would be in the list too.
    committer.processed(_as_consumer(recording), "b", 0, 1)
    await committed(recording, 2)
    assert recording.commits == [{A0: 9, A1: 4, B0: 1}, {B0: 2}]
    assert committer.commits == 2


async def test_a_failed_commit_retries_only_the_partitions_still_owned() -> None:
    recording = RecordingConsumer({A0})
    recording.fail = True
    committer = OffsetCommitter("test", interval=0.05)
    committer.processed(_as_consumer(recording), "a", 0, 4)
    committer.processed(_as_consumer(recording), "a", 1, 9)  # a:1 was given to another member since
    await committed(recording, 1)
    committer.processed(_as_consumer(recording), "a", 0, 5)  # a sentinel: flushed after the retry
    await committed(recording, 2)
    assert recording.commits == [{A0: 5}, {A0: 6}]  # a:1, no longer owned, in neither commit


async def test_close_commits_what_was_collected_at_once() -> None:
    recording = RecordingConsumer({A0})
    committer = OffsetCommitter("test", interval=60)
    committer.processed(_as_consumer(recording), "a", 0, 41)
    await committer.close()
    assert recording.commits == [{A0: 42}]


async def test_nothing_is_committed_while_the_group_rebalances() -> None:
    """A commit sent with the generation being replaced is refused once the next one exists, and aiokafka
    then drops the new membership: the group would rebalance again (issue 23)."""
    recording = RecordingConsumer({A0, A1})
    other = RecordingConsumer({B0})  # another consumer of the same service, settled throughout
    committer = OffsetCommitter("test", interval=0.02)
    committer.processed(_as_consumer(recording), "a", 0, 4)
    await committed(recording, 1)
    recording.rebalance()
    committer.processed(_as_consumer(recording), "a", 1, 6)  # handled from a batch fetched before
    committer.processed(_as_consumer(recording), "a", 0, 5)
    # The marker: the settled consumer's sentinels, handled after those offsets, are committed by two
    # later flushes; each of them had the rebalancing consumer's offsets pending, and committed none.
    for sentinel in (0, 1):
        committer.processed(_as_consumer(other), "b", 0, sentinel)
        await committed(other, sentinel + 1)
    assert other.commits == [{B0: 1}, {B0: 2}]
    assert recording.commits == [{A0: 5}]
    assert committer.dropped == 0  # kept: whether they may be committed is known when the join ends

    recording.join({A0, A1})
    committer.processed(_as_consumer(recording), "a", 0, 9)  # handled in the new generation
    await committed(recording, 2)
    committer.processed(_as_consumer(recording), "a", 0, 10)  # a sentinel: flushed after the rest
    await committed(recording, 3)
    # a:1's offset was handled in the generation that ended: its partition may have moved meanwhile,
    # so the member that owns it now decides where it is read from (in no commit, not even later).
    assert recording.commits == [{A0: 5}, {A0: 10}, {A0: 11}]
    assert committer.dropped == 1


async def test_offsets_of_a_stopped_consumer_are_dropped_not_retried_forever() -> None:
    recording = RecordingConsumer({A0})
    recording.fail = True
    committer = OffsetCommitter("test", interval=0.02)
    committer.processed(_as_consumer(recording), "a", 0, 4)
    await poll_until(lambda: committer._pending, lambda pending: bool(pending), interval=0.01)
    recording._closed = True
    await poll_until(lambda: committer.dropped, lambda dropped: dropped == 1, interval=0.01)
    assert recording.commits == []
    assert committer.dropped == 1 and not committer._pending
