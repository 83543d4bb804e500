"""The topic ownership table the consumers check producers against (`shared.contracts.ownership`)
is the services' own wiring: each service publishes exactly the topics the table says it owns, and
every topic of the catalogue is owned or inbound. So the check can refuse no real message, and the
platform's AsyncAPI document (built from the same wiring) names the same producers."""

from __future__ import annotations

from checkout_admin.platform_asyncapi import public_event_types
from checkout_admin.registry import SERVICES
from shared.contracts.inbound import INBOUND
from shared.contracts.ownership import INTEGRATOR, OWNERS, owned_by, producer_refusal, usual_producer


def test_each_service_publishes_exactly_the_topics_it_owns() -> None:
    for name, entry in SERVICES.items():
        runtime = entry.build("postgresql://unused/unused", "unused:9092", "")
        assert sorted(runtime.publishes) == owned_by(name), name


def test_every_topic_of_the_catalogue_has_an_owner_or_is_inbound_and_nothing_else_is_listed() -> None:
    catalogue = set(public_event_types())
    assert catalogue == set(OWNERS) | set(INBOUND)
    assert set(OWNERS) <= catalogue


def test_an_owned_topic_takes_only_its_owner_and_an_inbound_one_any_producer() -> None:
    assert producer_refusal("PaymentCaptured", "payment") is None
    refusal = producer_refusal("PaymentCaptured", INTEGRATOR)
    assert refusal is not None and "'integrator' does not own topic PaymentCaptured" in refusal
    assert producer_refusal("OrderShipped", "order") is not None
    for topic in INBOUND:
        assert producer_refusal(topic, "3pl") is None
        assert producer_refusal(topic, "wms") is None
    assert (usual_producer("ShipmentConfirmed"), usual_producer("ProductPublished")) == (INTEGRATOR,) * 2
    assert usual_producer("OrderShipped") == "fulfillment"
    assert usual_producer("NotInTheCatalogue") is None and producer_refusal("NotInTheCatalogue", "x") is None
