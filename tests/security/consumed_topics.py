"""What each service consumes, read from the services' own runtimes (so a new consumer is fuzzed too)."""

from __future__ import annotations

from dataclasses import dataclass

from services.cart.app import CartSettings
from services.cart.app import build_runtime as cart_runtime
from services.fulfillment.app import FulfillmentSettings
from services.fulfillment.app import build_runtime as fulfillment_runtime
from services.inventory.service import InventorySettings
from services.inventory.service import build_runtime as inventory_runtime
from services.order.service import OrderSettings
from services.order.service import build_runtime as order_runtime
from services.payment.app import build_runtime as payment_runtime
from services.payment.settings import PaymentSettings
from shared.runtime import ServiceRuntime


@dataclass(frozen=True)
class Subscription:
    service: str
    consumer: str  # the consumer group's name (without the topic prefix), as in `dlq.consumer`
    event_type: str  # the topic without its prefix


def _runtimes() -> dict[str, ServiceRuntime]:
    return {
        "cart": cart_runtime(CartSettings()),
        "order": order_runtime(OrderSettings()),
        "payment": payment_runtime(PaymentSettings()),
        "inventory": inventory_runtime(InventorySettings()),
        "fulfillment": fulfillment_runtime(FulfillmentSettings()),
    }


def subscriptions() -> list[Subscription]:
    found = []
    for service, runtime in _runtimes().items():
        for consumer in runtime.consumers:
            for topic in consumer.topics_with_prefix(""):
                found.append(Subscription(service, consumer.name, topic))
    return sorted(found, key=lambda s: (s.event_type, s.service))
