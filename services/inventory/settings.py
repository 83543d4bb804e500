"""The inventory service's settings: the common ones plus its allocation policy and reservations."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from services.inventory.domain.policy import AllocationPolicy
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """The common settings plus INVENTORY_POLICY, INVENTORY_RESERVATION_TTL_SECONDS (how long an
    unpaid checkout reservation holds stock) and INVENTORY_SWEEP_SECONDS (how often expired
    reservations are looked for). The two last, and the `reservations` read model the sweep reads,
    matter only under `reserve_on_checkout`: allocating at payment, nothing is reserved at checkout,
    so that model does not run (nor exist for `checkout-admin projections`, which reads the same
    INVENTORY_POLICY)."""

    service_name: str = "inventory"
    http_port: int = 8004
    inventory_policy: AllocationPolicy = AllocationPolicy.ALLOCATE_ON_PAYMENT
    inventory_reservation_ttl_seconds: float = Field(default=900.0, gt=0)
    inventory_sweep_seconds: float = Field(default=5.0, gt=0)

    @property
    def reservation_ttl(self) -> timedelta:
        return timedelta(seconds=self.inventory_reservation_ttl_seconds)
