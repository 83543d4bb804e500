"""Kafka offsets collected per partition and committed together, later: the next offset to read of
every partition handled, one commit per interval, and on a failed commit only what the consumer
still owns is tried again (a partition moved to another member is redelivered there, harmlessly)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.messaging.offset_commits import OffsetCommitter


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


A0, A1, B0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)


def _as_consumer(recording: RecordingConsumer) -> AIOKafkaConsumer:
    return cast(Any, recording)


async def test_messages_of_an_interval_are_committed_together_past_the_last_one() -> None:
    recording = RecordingConsumer({A0, A1, B0})
    committer = OffsetCommitter("test", interval=0.05)
    for topic, partition, offset in [("a", 0, 7), ("a", 1, 3), ("a", 0, 8), ("b", 0, 0)]:
        committer.processed(_as_consumer(recording), topic, partition, offset)
    assert recording.commits == []  # nothing yet: one request per interval, not per message
    await asyncio.sleep(0.2)
    assert recording.commits == [{A0: 9, A1: 4, B0: 1}]
    assert committer.commits == 1


async def test_a_failed_commit_retries_only_the_partitions_still_owned() -> None:
    recording = RecordingConsumer({A0})
    recording.fail = True
    committer = OffsetCommitter("test", interval=0.05)
    committer.processed(_as_consumer(recording), "a", 0, 4)
    committer.processed(_as_consumer(recording), "a", 1, 9)  # a:1 was given to another member since
    await asyncio.sleep(0.3)
    assert recording.commits == [{A0: 5}]


async def test_close_commits_what_was_collected_at_once() -> None:
    recording = RecordingConsumer({A0})
    committer = OffsetCommitter("test", interval=60)
    committer.processed(_as_consumer(recording), "a", 0, 41)
    await committer.close()
    assert recording.commits == [{A0: 42}]
