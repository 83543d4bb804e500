"""Composition root of the order service: its runtime (database, consumers, projections, relay),
and the HTTP API that runs it."""

from __future__ import annotations

from fastapi import FastAPI

from services.order.adapters.consumers import build_order_consumer
from services.order.adapters.http import anonymize, orders
from services.order.projections.orders import OrdersProjection
from services.order.settings import Settings
from shared.auth.routes import router as token_router
from shared.privacy.lifespan import with_personal_data
from shared.runtime import ServiceRuntime
from shared.service import service_app

PUBLISHES = ("OrderCreated", "OrderCompleted", "OrderCancelled", "OrderFulfilmentRequested", "OrderUpdated")


def build_runtime(settings: Settings) -> ServiceRuntime:
    return ServiceRuntime.of_service(
        "order",
        settings,
        projections=[OrdersProjection()],
        consumers=[build_order_consumer()],
        publishes=PUBLISHES,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime(settings)

    return service_app(
        settings,
        runtime,
        title="Order service",
        routers=[token_router, anonymize.router, orders.router],  # anonymize first: it is no order id
        around=with_personal_data,
    )
