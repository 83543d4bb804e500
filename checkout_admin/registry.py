"""Which services exist, and how to build each one's runtime (without starting it) for the tools."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from shared.runtime import ServiceRuntime


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    module: str  # where `build_runtime(settings)` and the settings class live
    settings_class: str

    def build(self, database_url: str, kafka: str, topic_prefix: str) -> ServiceRuntime:
        module = importlib.import_module(self.module)
        settings_cls = getattr(module, self.settings_class)
        build: Callable[..., ServiceRuntime] = module.build_runtime
        settings = settings_cls(
            database_url=database_url, kafka_bootstrap_servers=kafka, topic_prefix=topic_prefix
        )
        return build(settings)

    @property
    def available(self) -> bool:
        try:
            importlib.import_module(self.module)
        except ImportError:
            return False
        return True


SERVICES = {
    entry.name: entry
    for entry in (
        ServiceEntry("cart", "services.cart.app", "CartSettings"),
        ServiceEntry("order", "services.order.service", "OrderSettings"),
        ServiceEntry("payment", "services.payment.app", "PaymentSettings"),
        ServiceEntry("inventory", "services.inventory.service", "InventorySettings"),
        ServiceEntry("fulfillment", "services.fulfillment.app", "FulfillmentSettings"),
    )
}
