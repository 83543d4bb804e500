"""The platform-wide AsyncAPI document, the inbound JSON Schemas and `checkout_platform.contracts`
tell an integrator the truth: every topic with its real producers and consumers, inbound ones
marked, schemas that accept what the platform accepts and refuse what it dead-letters, and a
contracts module usable without the services."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from jsonschema import Draft202012Validator

from checkout_admin import schemas
from checkout_admin.registry import SERVICES
from checkout_platform.contracts import (
    INBOUND,
    ShipmentConfirmed,
    WarehouseStockAdjusted,
    envelope_for,
)
from checkout_platform.contracts.example_producer import _parser, envelope_from


def _load(path: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((schemas.ROOT / path).read_text())
    return loaded


def test_the_platform_document_names_every_topic_its_producers_and_consumers() -> None:
    document = _load("docs/asyncapi/checkout-platform.json")
    channels = document["channels"]
    for name, entry in SERVICES.items():
        runtime = entry.build("postgresql://unused/unused", "unused:9092", "")
        for event_type in runtime.publishes:
            assert name in channels[event_type]["x-producers"], (name, event_type)
            assert f"{name}.send.{event_type}" in document["operations"]
        for consumer in runtime.consumers:
            for topic in consumer.topics_with_prefix(""):
                assert name in channels[topic]["x-consumers"], (name, topic)
                assert f"{name}.receive.{topic}" in document["operations"]
    inbound = {topic for topic, channel in channels.items() if channel["x-inbound"]}
    assert inbound == set(INBOUND) == {"ProductPublished", "WarehouseStockAdjusted", "ShipmentConfirmed"}
    assert all("integrator" in channels[topic]["x-producers"] for topic in inbound)
    assert channels["WarehouseStockAdjusted"]["x-consumers"] == ["inventory"]
    assert channels["ShipmentConfirmed"]["x-consumers"] == ["order"]
    assert channels["ShipmentConfirmed"]["x-key"] == "order id"
    assert "integrator" not in channels["PaymentCaptured"]["x-producers"]


def _schema(event_type: str) -> Draft202012Validator:
    schema = _load(f"docs/asyncapi/schemas/{event_type}.json")
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_the_inbound_json_schemas_accept_the_contracts_envelopes_and_refuse_broken_ones() -> None:
    stock = envelope_for(
        WarehouseStockAdjusted(product_id="p-1", kind="received", quantity=3, reference="GRN-7"),
        producer="wms",
    )
    shipment = envelope_for(
        ShipmentConfirmed(order_id="o-1", carrier="DHL", tracking_reference="JJD0001"), producer="3pl"
    )
    stock_schema, shipment_schema = _schema("WarehouseStockAdjusted"), _schema("ShipmentConfirmed")
    assert stock_schema.is_valid(json.loads(stock.to_json()))
    assert shipment_schema.is_valid(json.loads(shipment.to_json()))
    unknown_kind = json.loads(stock.to_json())
    unknown_kind["data"]["kind"] = "stolen"
    assert not stock_schema.is_valid(unknown_kind)
    no_tracking = json.loads(shipment.to_json())
    del no_tracking["data"]["tracking_reference"]
    assert not shipment_schema.is_valid(no_tracking)
    assert not shipment_schema.is_valid(json.loads(stock.to_json()))  # another event type
    assert stock.aggregate_id == "p-1" and shipment.aggregate_id == "o-1"


def test_the_example_producer_builds_the_envelope_its_command_line_describes() -> None:
    args = _parser().parse_args(["shipment", "--order", "o-9", "--carrier", "UPS", "--tracking", "1Z9"])
    envelope = envelope_from(args)
    assert (envelope.event_type, envelope.producer, envelope.aggregate_id) == (
        "ShipmentConfirmed",
        "3pl",
        "o-9",
    )
    assert envelope.data["tracking_reference"] == "1Z9"


def test_the_contracts_module_imports_nothing_of_the_services() -> None:
    probe = (
        "import sys, checkout_platform.contracts, checkout_platform.contracts.example_producer; "
        "print(sorted(m for m in sys.modules if m == 'services' or m.startswith('services.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=schemas.ROOT
    )
    assert result.stdout.strip() == "[]"
