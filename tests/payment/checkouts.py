"""Checked-out carts as the cart service publishes them: what the payment service is paid for."""

from __future__ import annotations

from uuid import uuid4

from shared.contracts.envelope import utc_now
from shared.contracts.events import CartCheckedOut, OrderCancelled
from shared.contracts.values import Address, Customer, Money, OrderLine, Totals
from tests.payment.bus import Bus

ADDRESS = Address(
    first_name="Ron", last_name="Swanson", line_1="1 Sun Street", postcode="46001", country="US"
)


def product_line(
    product_id: str, quantity: int, unit: int, *, managed: bool, currency: str = "USD"
) -> OrderLine:
    return OrderLine(
        id=str(uuid4()),
        product_id=product_id,
        sku=f"sku-{product_id[:8]}",
        name="Product",
        quantity=quantity,
        manage_stock=managed,
        unit_price=Money(amount=unit, currency=currency),
        value=Money(amount=unit * quantity, currency=currency),
    )


async def check_out(bus: Bus, *lines: OrderLine, tax: int = 0, currency: str = "USD") -> CartCheckedOut:
    """Publish a `CartCheckedOut` for a new order (one unmanaged line of 10000 by default)."""
    items = list(lines) or [product_line(str(uuid4()), 1, 10000, managed=False, currency=currency)]
    subtotal = sum(line.value.amount for line in items)
    order = CartCheckedOut(
        cart_id=uuid4().hex,
        order_id=str(uuid4()),
        customer=Customer(name="Ron Swanson", email="ron@example.com"),
        billing_address=ADDRESS,
        shipping_address=ADDRESS,
        items=items,
        totals=Totals(
            currency=currency,
            with_tax=subtotal + tax,
            without_tax=subtotal,
            tax=tax,
            without_discount=subtotal,
        ),
        checked_out_at=utc_now(),
    )
    await bus.publish(order, key=order.order_id, producer="cart")
    return order


async def cancel_order(bus: Bus, order_id: str) -> None:
    await bus.publish(OrderCancelled(order_id=order_id, reason="test"), key=order_id, producer="order")
