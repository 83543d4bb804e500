"""The fulfilment service's settings: the common ones plus whether its `shipments` model runs."""

from __future__ import annotations

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """The common settings plus FULFILLMENT_SHIPMENTS_PROJECTION (off by default): `1` runs the
    `shipments` read model, one row per shipment with its status and dates, for operators and
    reports to query. No request of the platform reads it, so by default it costs nothing; turned
    on later, it catches up from the event log. `checkout-admin projections` lists and rebuilds it
    only when run with the same setting."""

    service_name: str = "fulfillment"
    http_port: int = 8005
    fulfillment_shipments_projection: bool = False
