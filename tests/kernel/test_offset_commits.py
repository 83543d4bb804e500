"""Kafka offsets collected per partition and committed together, later: the next offset to read of
every partition handled, one commit per interval, and on a failed commit only what the consumer
still owns is tried again (a partition moved to another member is redelivered there, harmlessly)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.messaging.offset_commits import OffsetCommitter
from tests.support.polling import poll_until


class RecordingConsumer:
    """Records commits; `fail` makes the next commit raise, as during a rebalance."""

    def __init__(self, owned: set[TopicPartition]) -> None:
        self.owned = owned
        self.commits: list[dict[TopicPartition, int]] = []
        self.fail = False

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.fail:
            self.fail = False
            raise RuntimeError("CommitFailedError: the group rebalanced")
        self.commits.append(dict(offsets))

    def assignment(self) -> set[TopicPartition]:
        return self.owned


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
    await asyncio.sleep(0.2)  # a second, wrong, commit would have come by now
    assert recording.commits == [{A0: 9, A1: 4, B0: 1}]
    assert committer.commits == 1


async def test_a_failed_commit_retries_only_the_partitions_still_owned() -> None:
    recording = RecordingConsumer({A0})
    recording.fail = True
    committer = OffsetCommitter("test", interval=0.05)
    committer.processed(_as_consumer(recording), "a", 0, 4)
    committer.processed(_as_consumer(recording), "a", 1, 9)  # a:1 was given to another member since
    await committed(recording, 1)
    await asyncio.sleep(0.2)  # a commit of the partition not owned any more would have come by now
    assert recording.commits == [{A0: 5}]


async def test_close_commits_what_was_collected_at_once() -> None:
    recording = RecordingConsumer({A0})
    committer = OffsetCommitter("test", interval=60)
    committer.processed(_as_consumer(recording), "a", 0, 41)
    await committer.close()
    assert recording.commits == [{A0: 42}]
