"""Kafka payloads for the fuzz: every kind of bad message, and a valid event of every consumed type."""

from __future__ import annotations

import os
from collections.abc import Callable
from uuid import uuid4

import orjson

from shared.contracts import events as contracts
from shared.contracts import inbound
from shared.contracts.envelope import Envelope, utc_now
from shared.contracts.integration_event import IntegrationEvent
from shared.contracts.ownership import usual_producer
from shared.contracts.values import Address, Customer, Money, OrderLine, StockLine, Totals

# The broker's default message.max.bytes is 1048588 for a whole record batch; what is left for the
# value after the batch and record overheads, the key and our one header, with a little margin.
LARGEST_ACCEPTED_VALUE = 1_048_588 - 400
OVER_THE_BROKER_LIMIT = 1_048_588 + 1


def _address() -> Address:
    return Address(first_name="Ron", last_name="Swanson", line_1="1 Sun St", postcode="46001", country="US")


def _line(product_id: str) -> OrderLine:
    price = Money(amount=1000, currency="USD")
    return OrderLine(id=str(uuid4()), product_id=product_id, quantity=1, unit_price=price, value=price)


def _totals() -> Totals:
    return Totals(currency="USD", with_tax=1000, without_tax=1000, without_discount=1000)


def valid_event(event_type: str, key: str) -> IntegrationEvent:
    """A well-formed event of `event_type` about order (or product) `key`."""
    money = Money(amount=1000, currency="USD")
    payment = {"order_id": key, "transaction_id": str(uuid4()), "gateway": "manual", "amount": money}
    lines = [StockLine(product_id=str(uuid4()), quantity=1)]
    customer = Customer(name="Ron", email="ron@example.com")
    makers: dict[str, Callable[[], IntegrationEvent]] = {
        "ProductPublished": lambda: contracts.ProductPublished(
            product_id=key, sku=f"fz-{key[:8]}", name="Fuzz"
        ),
        "StockLevelChanged": lambda: contracts.StockLevelChanged(
            product_id=key, total=5, allocated=0, available=5, version=1
        ),
        "StockAllocationRequested": lambda: contracts.StockAllocationRequested(
            order_id=key, request_id=str(uuid4()), lines=lines
        ),
        "StockAllocated": lambda: contracts.StockAllocated(
            order_id=key, request_id=str(uuid4()), lines=lines
        ),
        "StockAllocationFailed": lambda: contracts.StockAllocationFailed(
            order_id=key, request_id=str(uuid4()), reason="none left"
        ),
        "CartCheckedOut": lambda: contracts.CartCheckedOut(
            cart_id=uuid4().hex,
            order_id=key,
            customer=customer,
            billing_address=_address(),
            shipping_address=_address(),
            items=[_line(str(uuid4()))],
            totals=_totals(),
            checked_out_at=utc_now(),
        ),
        "OrderCreated": lambda: contracts.OrderCreated(
            order_id=key,
            cart_id=uuid4().hex,
            customer=customer,
            items=[_line(str(uuid4()))],
            totals=_totals(),
            created_at=utc_now(),
        ),
        "OrderCancelled": lambda: contracts.OrderCancelled(order_id=key, reason="fuzz"),
        "OrderFulfilmentRequested": lambda: contracts.OrderFulfilmentRequested(
            order_id=key, shipping_address=_address()
        ),
        "OrderShipped": lambda: contracts.OrderShipped(order_id=key),
        "OrderUpdated": lambda: contracts.OrderUpdated(
            order_id=key, shipping_address=_address(), updated_at=utc_now()
        ),
        "WarehouseStockAdjusted": lambda: inbound.WarehouseStockAdjusted(
            product_id=key, kind="received", quantity=1
        ),
        "ShipmentConfirmed": lambda: inbound.ShipmentConfirmed(
            order_id=key, carrier="Fuzz", tracking_reference="FZ1"
        ),
        "PaymentAuthorized": lambda: contracts.PaymentAuthorized(**payment),
        "PaymentCaptured": lambda: contracts.PaymentCaptured(**payment),
        "PaymentCancelled": lambda: contracts.PaymentCancelled(**payment),
        "PaymentFailed": lambda: contracts.PaymentFailed(**payment, reason="declined"),
        "PaymentRefunded": lambda: contracts.PaymentRefunded(
            **payment, refunded_total=1000, fully_refunded=True
        ),
    }
    return makers[event_type]()


def _envelope(of_type: str, key: str, **changes: object) -> bytes:
    good = Envelope.of(
        valid_event(of_type, key),
        aggregate_id=key,
        producer=usual_producer(of_type) or "fuzz",
        correlation_id="fuzz",
    )
    return orjson.dumps({**good.model_dump(mode="json"), **changes})


def _wrong_types(event_type: str, key: str) -> bytes:
    data = valid_event(event_type, key).model_dump(mode="json")
    return _envelope(event_type, key, data={field: {"not": ["what", "was", "expected"]} for field in data})


def bad_messages(event_type: str, key: str) -> dict[str, bytes]:
    """Kind of damage -> the message value, for a topic carrying `event_type`."""
    return {
        "malformed JSON": b'{"event_id": "',
        "random bytes": os.urandom(512),
        "empty value": b"",
        "JSON that is not an object": b"[1, 2, 3]",
        "JSON null": b"null",
        "deeply nested JSON": b"[" * 100_000 + b"]" * 100_000,
        "unknown schema_version": _envelope(event_type, key, schema_version=99),
        "schema_version of the wrong type": _envelope(event_type, key, schema_version="one"),
        "unknown event_type": _envelope(event_type, key, event_type="NoSuchEvent"),
        "envelope fields missing": orjson.dumps({"event_type": event_type, "data": {}}),
        "data fields missing": _envelope(event_type, key, data={}),
        "data of the wrong types": _wrong_types(event_type, key),
        "largest value the broker accepts": _envelope(event_type, key, padding="x" * LARGEST_ACCEPTED_VALUE)[
            :LARGEST_ACCEPTED_VALUE
        ],
    }
