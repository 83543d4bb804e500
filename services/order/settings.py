"""The order service's settings: the common ones plus how long it waits for a checkout."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """From the environment: DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, TOPIC_PREFIX, JWT_SECRET, HTTP_PORT..."""

    service_name: str = "order"
    http_port: int = 8002
    # How long a read or update of an order waits for a checkout this service has not consumed yet
    # (the cart answers a checkout before the order service has seen it).
    order_checkout_wait_seconds: float = Field(default=3.0, ge=0)
