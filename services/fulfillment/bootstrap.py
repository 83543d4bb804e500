"""Composition root of the fulfilment service: its runtime, and the HTTP app (health and metrics
only: fulfilment has no API of its own) that runs it."""

from __future__ import annotations

from fastapi import FastAPI

from services.fulfillment.adapters.consumers import build_fulfillment_consumer
from services.fulfillment.projections.shipments import ShipmentsProjection
from services.fulfillment.settings import Settings
from shared.contracts.events import OrderShipped
from shared.runtime import ServiceRuntime
from shared.service import service_app

PUBLISHES = [OrderShipped.event_type]


def build_runtime(settings: Settings) -> ServiceRuntime:
    return ServiceRuntime.of_service(
        "fulfillment",
        settings,
        projections=[ShipmentsProjection()] if settings.fulfillment_shipments_projection else [],
        consumers=[build_fulfillment_consumer()],
        publishes=PUBLISHES,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = build_runtime(settings)

    return service_app(settings, runtime, title="Fulfilment service")
