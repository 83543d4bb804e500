"""An example producer: publish a warehouse stock adjustment or a 3PL shipment confirmation.

    python -m checkout_platform.contracts.example_producer --bootstrap localhost:9092 \\
        stock --product <product id> --kind received --quantity 10 --reference GRN-1
    python -m checkout_platform.contracts.example_producer --bootstrap localhost:9092 \\
        shipment --order <order id> --carrier DHL --tracking 00340434161094042557

The broker knows who publishes: set KAFKA_SASL_USERNAME=integrator and KAFKA_SASL_PASSWORD (and
KAFKA_SECURITY_PROTOCOL=SASL_SSL where the broker speaks TLS); the integrator principal may publish
only the inbound topics. It prints the published envelope (its `event_id` is the one to quote when
asking about it). The producer is idempotent with `acks=all`; sending the same envelope twice
(`--event-id`) is applied once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from uuid import UUID

from aiokafka import AIOKafkaProducer

from checkout_platform.contracts import (
    Envelope,
    ShipmentConfirmed,
    WarehouseStockAdjusted,
    envelope_for,
    topic_for,
)
from shared.messaging.kafka_security import KafkaCredentials, kafka_client_options


async def publish(
    bootstrap_servers: str,
    envelope: Envelope,
    *,
    topic_prefix: str = "",
    credentials: KafkaCredentials | None = None,
) -> None:
    """Send one envelope to its event type's topic, keyed by its aggregate id, and wait for the ack,
    as `credentials` (by default the environment's: KAFKA_SASL_USERNAME=integrator and its password)."""
    topic = topic_for(envelope.event_type, topic_prefix)
    await publish_to(bootstrap_servers, topic, envelope, envelope.aggregate_id, credentials)


async def publish_to(
    bootstrap_servers: str,
    topic: str,
    envelope: Envelope,
    key: str,
    credentials: KafkaCredentials | None = None,
) -> None:
    """Send `envelope` to `topic` keyed by `key` with its headers, idempotently with `acks=all`, and
    wait for the ack."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        **kafka_client_options(credentials),
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            topic, envelope.to_json(), key=key.encode(), headers=envelope.kafka_headers()
        )
    finally:
        await producer.stop()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default="localhost:9092", help="Kafka bootstrap servers")
    parser.add_argument("--topic-prefix", default="", help="the platform's TOPIC_PREFIX, if any")
    parser.add_argument("--producer", help="who publishes (default: wms for stock, 3pl for shipments)")
    parser.add_argument("--event-id", type=UUID, help="reuse an event id (a retry of the same message)")
    kinds = parser.add_subparsers(dest="command", required=True)
    stock = kinds.add_parser("stock", help="WarehouseStockAdjusted")
    stock.add_argument("--product", required=True)
    stock.add_argument("--kind", required=True, choices=["received", "counted", "damaged"])
    stock.add_argument("--quantity", required=True, type=int)
    stock.add_argument("--reference", default="")
    shipment = kinds.add_parser("shipment", help="ShipmentConfirmed")
    shipment.add_argument("--order", required=True)
    shipment.add_argument("--carrier", required=True)
    shipment.add_argument("--tracking", required=True)
    return parser


def envelope_from(args: argparse.Namespace) -> Envelope:
    """The envelope the command line describes (validated: a bad one never leaves this process)."""
    if args.command == "stock":
        event: WarehouseStockAdjusted | ShipmentConfirmed = WarehouseStockAdjusted(
            product_id=args.product, kind=args.kind, quantity=args.quantity, reference=args.reference
        )
        producer = args.producer or "wms"
    else:
        event = ShipmentConfirmed(order_id=args.order, carrier=args.carrier, tracking_reference=args.tracking)
        producer = args.producer or "3pl"
    envelope = envelope_for(event, producer=producer)
    return envelope.model_copy(update={"event_id": args.event_id}) if args.event_id else envelope


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    envelope = envelope_from(args)
    asyncio.run(publish(args.bootstrap, envelope, topic_prefix=args.topic_prefix))
    sys.stdout.write(envelope.to_json().decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
