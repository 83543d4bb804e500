"""What each service consumes, read from the services' own runtimes (so a new consumer is fuzzed too)."""

from __future__ import annotations

from dataclasses import dataclass

from services import SERVICES, bootstrap, settings_class
from shared.runtime import ServiceRuntime


@dataclass(frozen=True)
class Subscription:
    service: str
    consumer: str  # the consumer group's name (without the topic prefix), as in `dlq.consumer`
    event_type: str  # the topic without its prefix


def _runtimes() -> dict[str, ServiceRuntime]:
    return {name: bootstrap(name).build_runtime(settings_class(name)()) for name in SERVICES}


def subscriptions() -> list[Subscription]:
    found = []
    for service, runtime in _runtimes().items():
        for consumer in runtime.consumers:
            for topic in consumer.topics_with_prefix(""):
                found.append(Subscription(service, consumer.name, topic))
    return sorted(found, key=lambda s: (s.event_type, s.service))
