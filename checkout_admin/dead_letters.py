"""`dlq list | show | retry | discard`: what is on the dead-letter topic, why, and putting it back.

`retry` goes to the consumer that dead-lettered the letter only (see `shared.messaging.dead_letters`).
Kafka topics are append-only, so handling a dead letter is itself recorded: `retry` and `discard`
publish a marker to `<prefix>DeadLetterHandled` (key: the dead letter's offset) and `list` leaves
out the letters already handled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from checkout_admin.config import StackConfig
from checkout_admin.connections import start_kafka
from checkout_admin.offsets import behind, partitions_of
from shared.messaging.dead_letters import dead_letter_topic, retry_headers

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


async def _read_all(config: StackConfig, topic: str) -> list[DeadLetter]:
    consumer = AIOKafkaConsumer(bootstrap_servers=config.kafka, group_id=None, enable_auto_commit=False)
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
    letter = await find(config, ref)
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
        bootstrap_servers=config.kafka, acks="all", enable_idempotence=True, max_request_size=_LARGEST
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
        bootstrap_servers=config.kafka, group_id=None, enable_auto_commit=False, fetch_max_bytes=_LARGEST
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
    letter = await find(config, ref)
    producer = AIOKafkaProducer(bootstrap_servers=config.kafka, acks="all", enable_idempotence=True)
    await start_kafka(config, producer)
    try:
        await _mark(producer, config, letter, "discarded")
    finally:
        await producer.stop()
    return letter
