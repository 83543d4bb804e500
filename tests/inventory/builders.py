"""Test data for the inventory service: stock and allocations given as events, integration events,
and ways to read what a command recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.inventory.domain.allocation import OrderAllocation
from services.inventory.domain.events import StockManagementChanged, StockMovement
from services.inventory.domain.stock import Stock
from shared.contracts.envelope import Envelope
from shared.contracts.events import CartCheckedOut
from shared.contracts.integration_event import IntegrationEvent
from shared.contracts.ownership import usual_producer
from shared.contracts.registry import VersionedEvent
from shared.contracts.values import Address, Customer, Money, OrderLine, StockLine, Totals
from shared.messaging.dead_letters import FailedMessage
from tests.support.kafka_records import record_of

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
TTL = timedelta(minutes=15)
ADDRESS = Address(first_name="Ron", last_name="Swanson", line_1="1 Pawnee St", postcode="46001", country="US")


def line(product: str, quantity: int) -> StockLine:
    return StockLine(product_id=product, quantity=quantity)


def set_to(total: int, allocated: int = 0) -> StockMovement:
    """The fact "stock was set to `total`" (with `allocated` of it held by orders)."""
    return StockMovement(
        transaction_id=str(uuid4()),
        action="set",
        quantity=total,
        total_after=total,
        allocated_after=allocated,
        at=NOW,
    )


def stock(product: str, total: int, *, allocated: int = 0, managed: bool | None = None) -> Stock:
    """A product's stock, given as its events."""
    history: list[VersionedEvent] = [set_to(total, allocated)]
    if managed is not None:
        history.append(StockManagementChanged(managed=managed, at=NOW))
    return Stock.rehydrate(product, history)


def allocation(order_id: str, *history: VersionedEvent) -> OrderAllocation:
    return OrderAllocation.rehydrate(order_id, history)


def levels(s: Stock) -> tuple[int, int, int]:
    return s.total, s.allocated, s.available


def movements(s: Stock) -> list[tuple[str, int, int, int, str | None]]:
    """What a command recorded on a product: (action, quantity, total after, allocated after, order)."""
    return [
        (e.action, e.quantity, e.total_after, e.allocated_after, e.order_id)
        for e in s.peek_pending()
        if isinstance(e, StockMovement)
    ]


def recorded(aggregate: OrderAllocation | Stock) -> list[str]:
    return [e.event_type for e in aggregate.peek_pending()]


def checkout(order_id: str, *lines: tuple[str | None, int], kind: str = "cart_item") -> CartCheckedOut:
    """A checked-out cart with one line per (product id, quantity)."""
    price = Money(amount=100, currency="USD")
    items = [
        OrderLine(
            id=f"line-{n}",
            type=kind,
            product_id=product,
            quantity=quantity,
            unit_price=price,
            value=Money(amount=100 * quantity, currency="USD"),
        )
        for n, (product, quantity) in enumerate(lines)
    ]
    total = sum(item.value.amount for item in items)
    return CartCheckedOut(
        cart_id=f"cart-of-{order_id}",
        order_id=order_id,
        customer=Customer(name="Ron Swanson", email="ron@example.com"),
        billing_address=ADDRESS,
        shipping_address=ADDRESS,
        items=items,
        totals=Totals(currency="USD", with_tax=total, without_tax=total),
        checked_out_at=NOW,
    )


def envelope(event: IntegrationEvent, key: str, producer: str | None = None) -> Envelope:
    """The envelope the topic's owner would publish `event` in, unless a test names another producer."""
    return Envelope(
        event_type=event.event_type,
        schema_version=event.schema_version,
        aggregate_type=event.aggregate_type,
        aggregate_id=key,
        aggregate_version=1,
        correlation_id="test",
        producer=producer or usual_producer(event.event_type) or "test",
        data=event.model_dump(mode="json"),
    )


def message(env: Envelope, offset: int = 0) -> FailedMessage:
    """A Kafka record carrying `env`, as the consumer receives it."""
    return record_of(env, env.aggregate_id, offset)
