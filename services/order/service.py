"""The order service's composition root: its runtime (database, consumers, projections, relay).

The HTTP app is added on top by the lead; this builds everything that runs without it.
"""

from __future__ import annotations

from pydantic import Field

from services.order.adapters.consumers import build_order_consumer
from services.order.projections.orders import OrdersProjection
from shared.runtime import ServiceRuntime
from shared.settings import ServiceSettings

SERVICE_NAME = "order"
PUBLISHES = ("OrderCreated", "OrderCompleted", "OrderCancelled", "OrderFulfilmentRequested", "OrderUpdated")


class OrderSettings(ServiceSettings):
    """From the environment: DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, JWT_SECRET, HTTP_PORT..."""

    service_name: str = SERVICE_NAME
    http_port: int = 8002
    # How long a read or update of an order waits for a checkout this service has not consumed yet
    # (the cart answers a checkout before the order service has seen it).
    order_checkout_wait_seconds: float = Field(default=3.0, ge=0)


def build_runtime(settings: OrderSettings | None = None) -> ServiceRuntime:
    settings = settings or OrderSettings()
    return ServiceRuntime(
        SERVICE_NAME,
        database_url=settings.database_url,
        kafka_bootstrap_servers=settings.kafka_bootstrap_servers,
        topic_prefix=settings.topic_prefix,
        projections=[OrdersProjection()],
        consumers=[build_order_consumer()],
        publishes=PUBLISHES,
        pool_size=settings.db_pool_size,
        consumer_group_suffix=settings.consumer_group_suffix,
        outbox_relay=settings.outbox_relay,
    )
