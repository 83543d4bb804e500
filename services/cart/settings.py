"""The cart service's settings: the common ones plus the key its order ids are derived with."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr

from shared.settings import ServiceSettings

DEV_ORDER_ID_SECRET = "dev-only-order-id-secret-change-me-in-production"


class Settings(ServiceSettings):
    """The common settings, plus ORDER_ID_SECRET: the key order ids are derived with (every cart
    instance must share it; changing it changes only the ids of checkouts still to come)."""

    service_name: str = "cart"
    http_port: int = 8001
    order_id_secret: SecretStr = SecretStr(DEV_ORDER_ID_SECRET)

    published_secrets: ClassVar[frozenset[str]] = ServiceSettings.published_secrets | {DEV_ORDER_ID_SECRET}
