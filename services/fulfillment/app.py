"""Composition root of the fulfilment service."""

from __future__ import annotations

from fastapi import FastAPI

from services.fulfillment.adapters.consumers import fulfillment_consumer
from services.fulfillment.projections.shipments import ShipmentsProjection
from shared.contracts.events import OrderShipped
from shared.http.app import create_app
from shared.runtime import ServiceRuntime
from shared.service import runtime_lifespan
from shared.settings import ServiceSettings


class FulfillmentSettings(ServiceSettings):
    """The common settings plus FULFILLMENT_SHIPMENTS_PROJECTION (off by default): `1` runs the
    `shipments` read model, one row per shipment with its status and dates, for operators and
    reports to query. No request of the platform reads it, so by default it costs nothing; turned
    on later, it catches up from the event log. `checkout-admin projections` lists and rebuilds it
    only when run with the same setting."""

    service_name: str = "fulfillment"
    http_port: int = 8005
    fulfillment_shipments_projection: bool = False


def build_runtime(settings: FulfillmentSettings) -> ServiceRuntime:
    return ServiceRuntime(
        "fulfillment",
        database_url=settings.database_url,
        kafka_bootstrap_servers=settings.kafka_bootstrap_servers,
        topic_prefix=settings.topic_prefix,
        projections=[ShipmentsProjection()] if settings.fulfillment_shipments_projection else [],
        consumers=[fulfillment_consumer],
        publishes=[OrderShipped.event_type],
        pool_size=settings.db_pool_size,
        consumer_group_suffix=settings.consumer_group_suffix,
        outbox_relay=settings.outbox_relay,
    )


def create_fulfillment_app(settings: FulfillmentSettings | None = None) -> FastAPI:
    settings = settings or FulfillmentSettings()
    runtime = build_runtime(settings)

    lifespan = runtime_lifespan(runtime)
    return create_app(
        settings, title="Fulfilment service", lifespan=lifespan, checks=runtime.readiness_checks()
    )
