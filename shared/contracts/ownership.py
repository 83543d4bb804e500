"""Who may publish each topic: the one table the consumers' producer check and the documents read.

Every topic of the catalogue is owned by the one service that publishes it; its envelopes name that
service as their `producer` (a service's envelopes always carry its runtime's name). An inbound
topic (`INBOUND`) is open to the outside: any backend system publishes into it under a name of its
own (`wms`, `3pl`, `pim`, ...; `INTEGRATOR` in the documents), and the broker's ACLs decide who may
write it at all. A consumer refuses (dead-letters with the reason) an envelope whose producer does
not own its topic, so an integrator's bug or anyone on the network cannot pass a `PaymentCaptured`
or an `OrderShipped` off as the payment or fulfilment service's (defence in depth behind the ACLs).

Event types outside the catalogue (registered by tests or plugins) are not checked: they have no
owner here. `tests/kernel/test_topic_ownership.py` keeps the table equal to what each service's
runtime declares it publishes, and complete for the catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from shared.contracts.inbound import INBOUND

INTEGRATOR = "integrator"
"""How the documents name the producers of an inbound topic: any other backend system."""

OWNERS: Mapping[str, str] = MappingProxyType(
    {
        "ProductPublished": "cart",
        "CartCheckedOut": "cart",
        "CustomerDeleted": "cart",
        "OrderCreated": "order",
        "OrderCompleted": "order",
        "OrderCancelled": "order",
        "OrderFulfilmentRequested": "order",
        "OrderUpdated": "order",
        "OrderShipped": "fulfillment",
        "PaymentAuthorized": "payment",
        "PaymentCaptured": "payment",
        "PaymentFailed": "payment",
        "PaymentRefunded": "payment",
        "PaymentCancelled": "payment",
        "StockAllocationRequested": "payment",
        "StockLevelChanged": "inventory",
        "StockAllocated": "inventory",
        "StockAllocationFailed": "inventory",
        "StockReleased": "inventory",
        "StockDecremented": "inventory",
        "WarehouseStockAdjustmentRefused": "inventory",
    }
)
"""The service that owns (alone may publish) each outbound topic of the catalogue."""


def owned_by(service: str) -> list[str]:
    """The event types `service` owns, in name order."""
    return sorted(event_type for event_type, owner in OWNERS.items() if owner == service)


def usual_producer(event_type: str) -> str | None:
    """The producer to name when playing whoever publishes `event_type` from outside its consumers:
    `INTEGRATOR` for an inbound topic (also `ProductPublished`, which the cart ignores from itself),
    its owner for the others; None for a type outside the catalogue."""
    if event_type in INBOUND:
        return INTEGRATOR
    return OWNERS.get(event_type)


def producer_refusal(event_type: str, producer: str) -> str | None:
    """Why an envelope of `event_type` naming `producer` must not be applied, or None if it may be."""
    if event_type in INBOUND:
        return None  # open to any backend system; the broker's ACLs guard who writes it
    owner = OWNERS.get(event_type)
    if owner is None or producer == owner:
        return None
    return f"producer {producer!r} does not own topic {event_type}: only {owner!r} publishes it"


__all__ = ["INTEGRATOR", "OWNERS", "owned_by", "producer_refusal", "usual_producer"]
