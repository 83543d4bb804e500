"""Is Kafka reachable? Asked over a client's own connections, for `/ready`.

A readiness probe runs every few seconds, so it must not open a connection per call: it sends one
metadata request for no topics (the smallest request a broker answers) over the connection the
service's producer already keeps, to each broker the client knows until one answers. A connection
that dropped is opened again by the client, as it would be for the next message anyway.
"""

from __future__ import annotations

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import KafkaConnectionError, KafkaError
from aiokafka.protocol.metadata import MetadataRequest

_NO_TOPICS: list[str] = []  # an empty list asks for none; None would ask for every topic


async def kafka_answers(client: AIOKafkaClient) -> None:
    """Return once a broker answered; raise KafkaConnectionError naming why none did."""
    brokers = sorted(broker.nodeId for broker in client.cluster.brokers())
    if not brokers:
        raise KafkaConnectionError("the Kafka client knows no broker")
    failures = []
    for node in brokers:
        try:
            await client.send(node, MetadataRequest(_NO_TOPICS))
        except (KafkaError, OSError) as exc:
            failures.append(f"broker {node}: {type(exc).__name__}: {exc}".rstrip(": "))
        else:
            return
    raise KafkaConnectionError("no broker answers (" + "; ".join(failures) + ")")
