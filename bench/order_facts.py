"""The facts an order's life is made of, as the cart and payment services publish them (the public
contracts of shared/contracts): a guest checkout of one stock-managed line, its authorization and its
capture. bench-replay feeds them to the order service's own code."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from shared.contracts.events import CartCheckedOut, PaymentAuthorized, PaymentCaptured
from shared.contracts.values import Address, Customer, Money, OrderLine, Totals

_ADDRESS = Address(
    first_name="Ron",
    last_name="Swanson",
    line_1="1 Sun Street",
    city="Pawnee",
    postcode="46001",
    country="US",
)
_PRICE = Money(amount=5000, currency="USD")


def checkout(product_id: str) -> CartCheckedOut:
    order_id = str(uuid4())
    line = OrderLine(
        id=str(uuid4()),
        product_id=product_id,
        sku="bench-shoe",
        name="Deck Shoe",
        quantity=1,
        manage_stock=True,
        unit_price=_PRICE,
        value=_PRICE,
    )
    return CartCheckedOut(
        cart_id=uuid4().hex,
        order_id=order_id,
        customer=Customer(name="Ron Swanson", email="ron@example.com"),
        billing_address=_ADDRESS,
        shipping_address=_ADDRESS,
        items=[line],
        totals=Totals(currency="USD", with_tax=5000, without_tax=5000, without_discount=5000),
        checked_out_at=datetime.now(UTC),
    )


def payment(order_id: str) -> tuple[PaymentAuthorized, PaymentCaptured]:
    transaction_id = str(uuid4())
    fields = {"order_id": order_id, "transaction_id": transaction_id, "gateway": "manual", "amount": _PRICE}
    return PaymentAuthorized(**fields), PaymentCaptured(**fields)
