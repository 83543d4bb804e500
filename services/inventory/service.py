"""Composition root of the inventory service: settings, runtime, HTTP app, reservation sweeper."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from services.inventory.adapters.consumers import build_inventory_consumer
from services.inventory.adapters.http import inventories
from services.inventory.application.reservations import sweep_forever
from services.inventory.domain.policy import AllocationPolicy
from services.inventory.projections.stock import StockProjection
from shared.auth.routes import router as token_router
from shared.contracts import events as contracts
from shared.http.app import create_app
from shared.runtime import ServiceRuntime
from shared.service import runtime_lifespan
from shared.settings import ServiceSettings

PUBLISHES = [
    contracts.StockLevelChanged.event_type,
    contracts.StockAllocated.event_type,
    contracts.StockAllocationFailed.event_type,
    contracts.StockReleased.event_type,
    contracts.StockDecremented.event_type,
]


class InventorySettings(ServiceSettings):
    """Adds INVENTORY_POLICY and INVENTORY_RESERVATION_TTL_SECONDS to the common settings."""

    service_name: str = "inventory"
    http_port: int = 8004
    inventory_policy: AllocationPolicy = AllocationPolicy.ALLOCATE_ON_PAYMENT
    inventory_reservation_ttl_seconds: float = 900.0
    inventory_sweep_seconds: float = 5.0


def build_runtime(settings: InventorySettings) -> ServiceRuntime:
    return ServiceRuntime(
        "inventory",
        database_url=settings.database_url,
        kafka_bootstrap_servers=settings.kafka_bootstrap_servers,
        topic_prefix=settings.topic_prefix,
        projections=[StockProjection()],
        consumers=[build_inventory_consumer(settings.inventory_policy)],
        publishes=PUBLISHES,
        pool_size=settings.db_pool_size,
    )


def create_inventory_app(settings: InventorySettings | None = None) -> FastAPI:
    settings = settings or InventorySettings()
    runtime = build_runtime(settings)
    base = runtime_lifespan(runtime)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with base(app):
            if settings.inventory_policy is AllocationPolicy.RESERVE_ON_CHECKOUT:
                ttl = timedelta(seconds=settings.inventory_reservation_ttl_seconds)
                runtime.spawn(
                    sweep_forever(runtime.database, ttl, settings.inventory_sweep_seconds), "reservations"
                )
            yield

    async def database_ready() -> None:
        await runtime.database.pool.fetchval("SELECT 1")

    app = create_app(
        settings, title="Inventory service", lifespan=lifespan, checks={"database": database_ready}
    )
    app.include_router(token_router)
    app.include_router(inventories.router)
    return app
