"""Counts the requests a service's Kafka clients send, by API: fetches, produces, offset commits...

A message between services costs requests more than bytes: the relay's produce, each consumer's
fetches; each costs the client and the broker a few hundred microseconds of CPU whatever it carries
(`make bench-floors`). `make bench` divides the count by the checkouts completed, as it does SQL
round trips, so a change to how consumers fetch or relays send shows in a number that does not swing
with the machine's load (`kafka_requests_total{api}` at `/metrics`).

aiokafka keeps no such count, and every client of a service (FastStream's consumers, the relay's
producer, the topic admin) sends through `AIOKafkaClient.send`, so that is where it is counted, once
per process. The wrapper hands back aiokafka's own coroutine: no extra frame on a request's path.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from aiokafka.client import AIOKafkaClient, ConnectionGroup

from shared.metrics import KAFKA_REQUESTS

_counters: dict[type, Any] = {}
"""The counter of each request class: a label lookup once per class, not per request."""


def api_name(request: object) -> str:
    """The Kafka API a request belongs to: `FetchRequest_v11` and `FetchRequest` are `Fetch`."""
    return type(request).__name__.split("Request", 1)[0] or type(request).__name__


def install_kafka_request_counter() -> None:
    """Count every request sent through aiokafka's client from now on (once per process)."""
    send = AIOKafkaClient.send
    if getattr(send, "counts_requests", False):
        return

    def counted_send(
        self: AIOKafkaClient, node_id: int, request: Any, *, group: ConnectionGroup = ConnectionGroup.DEFAULT
    ) -> Awaitable[Any]:
        counter = _counters.get(type(request))
        if counter is None:
            counter = _counters[type(request)] = KAFKA_REQUESTS.labels(api_name(request))
        counter.inc()
        sent: Awaitable[Any] = send(self, node_id, request, group=group)
        return sent

    counted_send.counts_requests = True  # type: ignore[attr-defined]
    counted_send.__doc__ = send.__doc__
    AIOKafkaClient.send = counted_send
