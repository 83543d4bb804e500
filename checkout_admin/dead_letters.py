"""`dlq list | show | retry | discard`: what is on the dead-letter topic, why, and putting it back.

`retry` and `discard` take one letter (`PARTITION:OFFSET`) or a filter (consumer, source topic,
reason, time range) that selects every pending letter it matches (`LetterFilter`).

`retry` goes to the consumer that dead-lettered the letter only (see `shared.messaging.dead_letters`).
Kafka topics are append-only, so handling a dead letter is itself recorded: `retry` and `discard`
publish a marker to `<prefix>DeadLetterHandled` (key: the dead letter's offset) and `list` leaves
out the letters already handled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from checkout_admin.config import StackConfig
from checkout_admin.connections import start_kafka
from checkout_admin.offsets import behind, partitions_of
from shared.messaging.dead_letters import dead_letter_topic, retry_headers
from shared.messaging.kafka_security import kafka_client_options

HANDLED = "DeadLetterHandled"
_LARGEST = 4 * 1024 * 1024  # the broker decides what fits; the client should not refuse first


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]

    @property
    def ref(self) -> str:
        return f"{self.partition}:{self.offset}"

    def header(self, name: str) -> str:
        return self.headers.get(name, b"").decode(errors="replace")

    def failed_at(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.header("dlq.failed_at"))
        except ValueError:
            return None

    def row(self) -> dict[str, Any]:
        """The letter as `dlq list` shows it (and prints it with `--json`)."""
        return {
            "ref": self.ref,
            "source_topic": self.header("dlq.original_topic"),
            "consumer": self.header("dlq.consumer"),
            "failed_at": self.header("dlq.failed_at"),
            "reason": self.header("dlq.reason"),
            "key": (self.key or b"").decode(errors="replace"),
        }


@dataclass(frozen=True)
class LetterFilter:
    """Which pending letters a bulk `retry` or `discard` takes; a criterion left None takes all."""

    consumer: str | None = None
    source_topic: str | None = None
    """With or without the topic prefix."""
    reason: str | None = None
    """A part of the reason, any case."""
    since: datetime | None = None
    until: datetime | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in (self.consumer, self.source_topic, self.reason, self.since, self.until))

    def matches(self, letter: DeadLetter, prefix: str) -> bool:
        topic = letter.header("dlq.original_topic")
        if self.consumer is not None and letter.header("dlq.consumer") != self.consumer:
            return False
        if self.source_topic is not None and topic not in (self.source_topic, prefix + self.source_topic):
            return False
        if self.reason is not None and self.reason.lower() not in letter.header("dlq.reason").lower():
            return False
        failed_at = letter.failed_at()
        if self.since is not None and (failed_at is None or failed_at < self.since):
            return False
        return not (self.until is not None and (failed_at is None or failed_at >= self.until))


async def _read_all(config: StackConfig, topic: str) -> list[DeadLetter]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=config.kafka, group_id=None, enable_auto_commit=False, **kafka_client_options()
    )
    await start_kafka(config, consumer)
    try:
        assigned = await partitions_of(config, topic)
        if not assigned:
            return []
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        letters: list[DeadLetter] = []
        while await behind(consumer, ends):
            batch = await consumer.getmany(timeout_ms=500)
            for tp, records in batch.items():
                for r in records:
                    headers = {k: bytes(v) for k, v in (r.headers or ())}
                    letters.append(DeadLetter(tp.partition, r.offset, r.key, r.value, headers))
        return sorted(letters, key=lambda d: (d.partition, d.offset))
    finally:
        await consumer.stop()


async def pending(config: StackConfig) -> list[DeadLetter]:
    letters = await _read_all(config, dead_letter_topic(config.topic_prefix))
    handled = {m.key.decode() for m in await _read_all(config, config.topic_prefix + HANDLED) if m.key}
    return [d for d in letters if d.ref not in handled]


async def matching(config: StackConfig, chosen: LetterFilter) -> list[DeadLetter]:
    """The pending letters the filter selects, in topic order."""
    return [d for d in await pending(config) if chosen.matches(d, config.topic_prefix)]


async def find(config: StackConfig, ref: str) -> DeadLetter:
    for letter in await _read_all(config, dead_letter_topic(config.topic_prefix)):
        if letter.ref == ref:
            return letter
    raise SystemExit(f"no dead letter {ref} (use PARTITION:OFFSET as `dlq list` prints it)")


async def _mark(producer: AIOKafkaProducer, config: StackConfig, letter: DeadLetter, action: str) -> None:
    value = f'{{"action": "{action}", "at": "{datetime.now(UTC).isoformat()}"}}'.encode()
    await producer.send_and_wait(config.topic_prefix + HANDLED, value=value, key=letter.ref.encode())


async def retry(config: StackConfig, ref: str) -> DeadLetter:
    """Put the original message back on its topic for the consumer that dead-lettered it, only
    (`dlq.retry_for`: the topic's other consumers step over it); that consumer applies it once."""
    return await _retry(config, await find(config, ref))


async def _retry(config: StackConfig, letter: DeadLetter) -> DeadLetter:
    ref = letter.ref
    original_topic = letter.header("dlq.original_topic")
    if not original_topic:
        raise SystemExit(f"dead letter {ref} does not say which topic it came from")
    consumer = letter.header("dlq.consumer")
    if not consumer:
        raise SystemExit(f"dead letter {ref} does not say which consumer dead-lettered it")
    headers = retry_headers(letter.headers.items(), consumer)
    value = letter.value
    if "dlq.value_omitted" in letter.headers:
        value = await _original_value(config, letter, original_topic)
    producer = AIOKafkaProducer(
        bootstrap_servers=config.kafka,
        acks="all",
        enable_idempotence=True,
        max_request_size=_LARGEST,
        **kafka_client_options(),
    )
    await start_kafka(config, producer)
    try:
        await producer.send_and_wait(original_topic, value=value, key=letter.key, headers=headers)
        await _mark(producer, config, letter, "retried")
    finally:
        await producer.stop()
    return letter


async def _original_value(config: StackConfig, letter: DeadLetter, topic: str) -> bytes:
    """A letter too large to carry its value points at the original message: read it back there."""
    partition, offset = (
        int(letter.header("dlq.original_partition")),
        int(letter.header("dlq.original_offset")),
    )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=config.kafka,
        group_id=None,
        enable_auto_commit=False,
        fetch_max_bytes=_LARGEST,
        **kafka_client_options(),
    )
    await start_kafka(config, consumer)
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, offset)
        for _ in range(20):
            records = (await consumer.getmany(tp, timeout_ms=500)).get(tp, [])
            if records:
                first = records[0]
                if first.offset == offset and first.value is not None:
                    return bytes(first.value)
                break  # the log now starts after it
        raise SystemExit(
            f"dead letter {letter.ref} carries no value and {topic}[{partition}]@{offset} is no longer"
            " in Kafka (retention): nothing to retry"
        )
    finally:
        await consumer.stop()


async def discard(config: StackConfig, ref: str) -> DeadLetter:
    return await _discard(config, await find(config, ref))


async def _discard(config: StackConfig, letter: DeadLetter) -> DeadLetter:
    producer = AIOKafkaProducer(
        bootstrap_servers=config.kafka, acks="all", enable_idempotence=True, **kafka_client_options()
    )
    await start_kafka(config, producer)
    try:
        await _mark(producer, config, letter, "discarded")
    finally:
        await producer.stop()
    return letter


async def handle_all(
    config: StackConfig,
    letters: list[DeadLetter],
    action: str,
    on_each: Callable[[DeadLetter], None] | None = None,
) -> list[DeadLetter]:
    """`retry` or `discard` each letter, one after the other (each one marked handled as it goes,
    so a run stopped halfway can be repeated: the handled ones are no longer pending)."""
    handle: Callable[[StackConfig, DeadLetter], Awaitable[DeadLetter]] = (
        _retry if action == "retry" else _discard
    )
    done = []
    for letter in letters:
        done.append(await handle(config, letter))
        if on_each is not None:
            on_each(letter)
    return done
