"""Composition root of the inventory service: settings, runtime, reservation sweep, HTTP app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from pydantic import Field

from services.inventory.adapters.consumers import build_inventory_consumer
from services.inventory.adapters.http import inventories
from services.inventory.application.reservations import sweep_forever
from services.inventory.domain.policy import AllocationPolicy
from services.inventory.projections.reservations import ReservationsProjection
from services.inventory.projections.stock import StockProjection
from shared.auth.routes import router as token_router
from shared.contracts import events as contracts
from shared.contracts.inbound import WarehouseStockAdjustmentRefused
from shared.http.app import create_app
from shared.projections.projection import Projection
from shared.runtime import ServiceRuntime
from shared.service import runtime_lifespan
from shared.settings import ServiceSettings

PUBLISHES = [
    contracts.StockLevelChanged.event_type,
    contracts.StockAllocated.event_type,
    contracts.StockAllocationFailed.event_type,
    contracts.StockReleased.event_type,
    contracts.StockDecremented.event_type,
    WarehouseStockAdjustmentRefused.event_type,
]


class InventorySettings(ServiceSettings):
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


def projections_for(policy: AllocationPolicy) -> list[Projection]:
    """The read models something reads under `policy`: `stock` (the listings), and `reservations`
    only where the expiry sweep runs. A model turned on later catches up from where it stopped."""
    if policy.reserves_at_checkout:
        return [StockProjection(), ReservationsProjection()]
    return [StockProjection()]


def build_runtime(settings: InventorySettings) -> ServiceRuntime:
    """The inventory runtime: its database, the `inventory` consumer for the policy, projections."""
    return ServiceRuntime(
        "inventory",
        database_url=settings.database_url,
        kafka_bootstrap_servers=settings.kafka_bootstrap_servers,
        topic_prefix=settings.topic_prefix,
        projections=projections_for(settings.inventory_policy),
        consumers=[build_inventory_consumer(settings.inventory_policy, settings.reservation_ttl)],
        publishes=PUBLISHES,
        pool_size=settings.db_pool_size,
        consumer_group_suffix=settings.consumer_group_suffix,
        outbox_relay=settings.outbox_relay,
    )


def start_reservation_sweep(runtime: ServiceRuntime, settings: InventorySettings) -> None:
    """Under the reserve policy, release unpaid reservations past their deadline (a started runtime)."""
    if settings.inventory_policy.reserves_at_checkout:
        runtime.spawn(sweep_forever(runtime.database, settings.inventory_sweep_seconds), "reservation sweep")


def create_inventory_app(settings: InventorySettings | None = None) -> FastAPI:
    settings = settings or InventorySettings()
    runtime = build_runtime(settings)
    base = runtime_lifespan(runtime)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with base(app):
            start_reservation_sweep(runtime, settings)
            yield

    app = create_app(
        settings, title="Inventory service", lifespan=lifespan, checks=runtime.readiness_checks()
    )
    app.include_router(token_router)
    app.include_router(inventories.router)
    return app
