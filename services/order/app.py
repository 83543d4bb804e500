"""Composition root of the order service's HTTP process."""

from __future__ import annotations

from fastapi import FastAPI

from services.order.adapters.http import anonymize, orders
from services.order.service import OrderSettings, build_runtime
from shared.auth.routes import router as token_router
from shared.http.app import create_app
from shared.privacy.lifespan import with_personal_data
from shared.service import runtime_lifespan


def create_order_app(settings: OrderSettings | None = None) -> FastAPI:
    settings = settings or OrderSettings()
    runtime = build_runtime(settings)

    lifespan = with_personal_data(runtime_lifespan(runtime))
    app = create_app(settings, title="Order service", lifespan=lifespan, checks=runtime.readiness_checks())
    app.include_router(token_router)
    app.include_router(anonymize.router)  # before orders': /v2/orders/anonymize is no order id
    app.include_router(orders.router)
    return app
