"""Test data for the order service: checkouts, payment facts, and the envelopes they travel in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from shared.contracts.envelope import Envelope
from shared.contracts.events import (
    CartCheckedOut,
    OrderShipped,
    PaymentAuthorized,
    PaymentCancelled,
    PaymentCaptured,
    PaymentFailed,
    PaymentRefunded,
)
from shared.contracts.integration_event import IntegrationEvent
from shared.contracts.ownership import usual_producer
from shared.contracts.values import Address, Customer, Money, OrderLine, Totals
from shared.messaging.dead_letters import FailedMessage
from tests.support.kafka_records import record_of

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
ADDRESS = Address(first_name="Ron", last_name="Swanson", line_1="1 Pawnee St", postcode="46001", country="US")
GUEST = Customer(name="Ron Swanson", email="ron@example.com")
TOTAL = 10_000


def one_of(sku: str, name: str, amount: int, currency: str) -> OrderLine:
    """A line of one product at `amount`; its ids made from its `sku`."""
    price = Money(amount=amount, currency=currency)
    return OrderLine(
        id=f"line-{sku}", product_id=f"p-{sku}", sku=sku, name=name, quantity=1, unit_price=price, value=price
    )


def checkout(
    order_id: str = "order-1",
    *,
    total: int = TOTAL,
    currency: str = "USD",
    customer: Customer = GUEST,
    at: datetime = NOW,
) -> CartCheckedOut:
    """A cart of two lines adding up to `total` (tax included) in `currency`."""
    shoe = total // 2
    hat = total - shoe
    return CartCheckedOut(
        cart_id=f"cart-of-{order_id}",
        order_id=order_id,
        customer=customer,
        billing_address=ADDRESS,
        shipping_address=ADDRESS,
        items=[one_of("shoe", "Deck Shoe", shoe, currency), one_of("hat", "Hat", hat, currency)],
        totals=Totals(currency=currency, with_tax=total, without_tax=total, without_discount=total),
        checked_out_at=at,
    )


def usd(amount: int) -> Money:
    return Money(amount=amount, currency="USD")


def authorized(order_id: str, txn: str, amount: int = TOTAL) -> PaymentAuthorized:
    return PaymentAuthorized(order_id=order_id, transaction_id=txn, gateway="manual", amount=usd(amount))


def captured(order_id: str, txn: str, amount: int = TOTAL) -> PaymentCaptured:
    return PaymentCaptured(order_id=order_id, transaction_id=txn, gateway="manual", amount=usd(amount))


def refunded(order_id: str, txn: str, amount: int, total: int, full: bool = False) -> PaymentRefunded:
    return PaymentRefunded(
        order_id=order_id,
        transaction_id=txn,
        gateway="manual",
        amount=usd(amount),
        refunded_total=total,
        fully_refunded=full,
    )


def voided(order_id: str, txn: str, amount: int = TOTAL) -> PaymentCancelled:
    return PaymentCancelled(order_id=order_id, transaction_id=txn, gateway="manual", amount=usd(amount))


def failed(order_id: str, txn: str, amount: int = TOTAL) -> PaymentFailed:
    return PaymentFailed(
        order_id=order_id, transaction_id=txn, gateway="manual", amount=usd(amount), reason="declined"
    )


def shipped(order_id: str) -> OrderShipped:
    return OrderShipped(order_id=order_id)


def envelope(event: IntegrationEvent, *, producer: str | None = None, minutes: int = 1) -> Envelope:
    """The envelope another service would publish `event` in (keyed, like all, by the order id); its
    producer is the topic's owner unless a test says otherwise."""
    aggregate_id = getattr(event, "transaction_id", None) or getattr(event, "cart_id", None) or "agg"
    return Envelope(
        event_type=event.event_type,
        schema_version=event.schema_version,
        occurred_at=NOW + timedelta(minutes=minutes),
        aggregate_type=event.aggregate_type,
        aggregate_id=aggregate_id,
        aggregate_version=1,
        correlation_id=str(uuid4()),
        producer=producer or usual_producer(event.event_type) or "test",
        data=event.model_dump(mode="json"),
    )


def message(env: Envelope, offset: int = 0) -> FailedMessage:
    """A Kafka record carrying `env`, keyed by its order id as every producer keys it."""
    return record_of(env, str(env.data["order_id"]), offset)
