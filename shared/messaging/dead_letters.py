"""The dead-letter topic: where messages that cannot be applied go, with the reason in headers.

The original bytes, key and headers are kept unchanged so `checkout-admin dlq retry` can put the
message back on its topic once the cause is fixed. One exception: a message near the broker's size
limit no longer fits once the `dlq.*` headers are added, and retrying that publish would stop the
partition for good; such a letter carries no value, but `dlq.value_omitted` (the original size) and
the original topic, partition and offset, where the bytes still are.

A retry goes to the consumer that dead-lettered the message, only: `dlq retry` puts the message
back on its own topic with one more header, `dlq.retry_for` naming that consumer (`dlq.consumer`),
and every other consumer of the topic steps over it (`is_for`). The topic, key, value and the
envelope's headers stay as they were (the copy lands in its key's partition, like the original),
so no topic, subscription or document changes; a retry topic per consumer group would have given
every group one more topic to create, subscribe to and document, for a message now and then. A
consumer outside the platform that reads the topic sees the copy again, as it would any redelivery
(the envelope's `event_id` is the same), and may skip it by the header.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError

DEAD_LETTER_TOPIC = "DeadLetter"
RETRY_FOR = "dlq.retry_for"
"""Header of a retried message: the one consumer it is for (the others of its topic skip it)."""


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


def is_for(message: FailedMessage, consumer: str) -> bool:
    """False for a retried message meant for another consumer; True for every other message."""
    target = next((value for name, value in message.headers if name == RETRY_FOR), None)
    return target is None or target.decode(errors="replace") == consumer


def retry_headers(letter_headers: Iterable[tuple[str, bytes]], consumer: str) -> list[tuple[str, bytes]]:
    """The headers a retried message goes back with: the original's, and who it is for."""
    kept = [(name, value) for name, value in letter_headers if not name.startswith("dlq.")]
    return [*kept, (RETRY_FOR, consumer.encode())]


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
