"""Composition root of the inventory service: its runtime (with the reservation sweep under the
reserve policy), and the HTTP API that runs it."""

from __future__ import annotations

from fastapi import FastAPI

from services.inventory.adapters.consumers import build_inventory_consumer
from services.inventory.adapters.http import inventories
from services.inventory.adapters.postgres.read_models import provide_postgres_read_models
from services.inventory.application.reservations import sweep_forever
from services.inventory.domain.policy import AllocationPolicy
from services.inventory.projections.reservations import ReservationsProjection
from services.inventory.projections.stock import StockProjection
from services.inventory.settings import Settings
from shared.auth.routes import router as token_router
from shared.contracts import events as contracts
from shared.contracts.inbound import WarehouseStockAdjustmentRefused
from shared.projections.projection import Projection
from shared.runtime import ServiceRuntime
from shared.service import service_app

PUBLISHES = [
    contracts.StockLevelChanged.event_type,
    contracts.StockAllocated.event_type,
    contracts.StockAllocationFailed.event_type,
    contracts.StockReleased.event_type,
    contracts.StockDecremented.event_type,
    WarehouseStockAdjustmentRefused.event_type,
]


def projections_for(policy: AllocationPolicy) -> list[Projection]:
    """The read models something reads under `policy`: `stock` (the listings), and `reservations`
    only where the expiry sweep runs. A model turned on later catches up from where it stopped."""
    if policy.reserves_at_checkout:
        return [StockProjection(), ReservationsProjection()]
    return [StockProjection()]


def build_runtime(settings: Settings) -> ServiceRuntime:
    """The inventory runtime: its database, the `inventory` consumer for the policy, projections,
    and under the reserve policy the sweep that releases unpaid reservations past their deadline
    (started once the runtime is up, cancelled when it stops)."""
    runtime = ServiceRuntime.of_service(
        "inventory",
        settings,
        projections=projections_for(settings.inventory_policy),
        consumers=[build_inventory_consumer(settings.inventory_policy, settings.reservation_ttl)],
        publishes=PUBLISHES,
    )
    provide_postgres_read_models(runtime.database)
    if settings.inventory_policy.reserves_at_checkout:
        every = settings.inventory_sweep_seconds
        runtime.add_background("reservation sweep", lambda: sweep_forever(runtime.database, every))
    return runtime


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime(settings)

    return service_app(
        settings, runtime, title="Inventory service", routers=[token_router, inventories.router]
    )
