"""The dead-letter topic: where messages that cannot be applied go, with the reason in headers.

The original bytes, key and headers are kept unchanged so `checkout-admin dlq retry` can put the
message back on its topic once the cause is fixed. One exception: a message near the broker's size
limit no longer fits once the `dlq.*` headers are added, and retrying that publish would stop the
partition for good; such a letter carries no value, but `dlq.value_omitted` (the original size) and
the original topic, partition and offset, where the bytes still are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError

DEAD_LETTER_TOPIC = "DeadLetter"


def dead_letter_topic(prefix: str = "") -> str:
    return f"{prefix}{DEAD_LETTER_TOPIC}"


@dataclass(frozen=True)
class FailedMessage:
    """A consumed message and where it came from."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]


class DeadLetterPublisher:
    """Publishes failed messages to the dead-letter topic and waits for the broker's acknowledgement."""

    def __init__(self, producer: AIOKafkaProducer, *, consumer: str, topic_prefix: str = "") -> None:
        self._producer = producer
        self._consumer = consumer
        self.topic = dead_letter_topic(topic_prefix)

    async def publish(self, message: FailedMessage, reason: str, error: BaseException | None = None) -> None:
        kept = [(k, v) for k, v in message.headers if not k.startswith("dlq.")]
        headers = [
            *kept,
            ("dlq.reason", reason[:2000].encode()),
            ("dlq.error", (type(error).__name__ if error else "").encode()),
            ("dlq.original_topic", message.topic.encode()),
            ("dlq.original_partition", str(message.partition).encode()),
            ("dlq.original_offset", str(message.offset).encode()),
            ("dlq.consumer", self._consumer.encode()),
            ("dlq.failed_at", datetime.now(UTC).isoformat().encode()),
        ]
        try:
            await self._producer.send_and_wait(
                self.topic, value=message.value, key=message.key, headers=headers
            )
        except MessageSizeTooLargeError:
            omitted = [*headers, ("dlq.value_omitted", str(len(message.value)).encode())]
            await self._producer.send_and_wait(self.topic, value=b"", key=message.key, headers=omitted)
