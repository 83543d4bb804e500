"""Checkout: the cart becomes an incomplete order, announced to the other services by `CartCheckedOut`.

Runs in one transaction: the final availability check, the cart's `CartCheckedOut`, the use of
each applied promotion code (refused, 422, when the code is not the checking-out customer's or has no
use left), and the integration event in the outbox. A cart associated with a customer becomes that
customer's order. The cart is priced anew, so automatic promotions are checked again (one ended or
disabled since drops out; one started since applies). It answers at once with the order as the order
service will create it; it never waits on another service.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.cart.application.lookups import available_stock, price
from services.cart.domain.associations import CustomerCartForbidden
from services.cart.domain.cart import Cart
from services.cart.domain.customer import Customer as CustomerAggregate
from services.cart.domain.errors import CartAlreadyCheckedOut, InsufficientStock
from services.cart.domain.events import CartWasCheckedOut
from services.cart.domain.order_ids import OrderIds
from services.cart.domain.pricing import CartPrice
from services.cart.domain.product import Product
from services.cart.domain.promotion import Promotion
from shared.contracts import events as contracts
from shared.contracts.envelope import utc_now
from shared.contracts.values import Address, Customer, Money, OrderLine
from shared.domain.errors import DomainError
from shared.eventstore.port import UnitOfWork
from shared.privacy.order_parties import seal_parties
from shared.privacy.personal_data import PersonalData


@dataclass(frozen=True)
class CheckedOut:
    """The order as the order service will create it: in clear for the answer, and as stored and
    published, its customer and addresses sealed (what a kept copy of the answer holds)."""

    clear: contracts.CartCheckedOut
    sealed: contracts.CartCheckedOut


@dataclass(frozen=True)
class CheckOut:
    cart_id: str
    billing_address: Address
    shipping_address: Address
    customer_id: str | None = None
    customer_name: str | None = None
    customer_email: str | None = None
    order_number: str | None = None
    external_ref: str | None = None


async def _customer(uow: UnitOfWork, command: CheckOut, cart: Cart, personal: PersonalData) -> Customer:
    """The registered customer the order is for: the cart's own when it is associated with one (the
    order is theirs whoever the body names as a guest), else `customer.id`; otherwise a guest.
    A registered customer's name and email are opened (sealed under their own key, they are sealed
    again under the order's)."""
    if cart.customer_id is not None and command.customer_id not in (None, cart.customer_id):
        raise CustomerCartForbidden(source="data.customer.id")
    customer_id = cart.customer_id or command.customer_id
    if customer_id:
        customer = await uow.load(CustomerAggregate, customer_id)
        if not customer.registered:
            raise DomainError(
                "No customer exists with the given id",
                status=404,
                title="Not Found",
                source="data.customer.id",
            )
        open_ = await personal.opener([customer.name, customer.email])
        return Customer(id=customer.id, name=open_(customer.name), email=open_(customer.email))
    assert command.customer_name is not None and command.customer_email is not None
    return Customer(name=command.customer_name, email=command.customer_email)


async def _check_stock(uow: UnitOfWork, cart: Cart) -> None:
    for line in cart.lines.values():
        if line.type != "cart_item" or not line.manage_stock or line.product_id is None:
            continue
        product = await uow.load(Product, line.product_id)
        if not product.live:
            continue
        available = await available_stock(uow, product.snapshot())
        if available is not None and line.quantity > available:
            raise InsufficientStock(line.sku, line.product_id, available)


def order_lines(cart: Cart, priced: CartPrice) -> list[OrderLine]:
    lines = []
    for line in cart.lines.values():
        p = priced.lines[line.id]
        lines.append(
            OrderLine(
                id=line.id,
                type=line.type,
                product_id=line.product_id,
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                manage_stock=line.manage_stock,
                unit_price=Money(amount=line.unit_amount, currency=line.currency),
                value=Money(amount=line.unit_amount * line.quantity, currency=line.currency),
                tax=p.tax,
                discount=p.discount,
            )
        )
    return lines


def snapshot(
    cart: Cart, priced: CartPrice, checkout: CartWasCheckedOut, command: CheckOut
) -> contracts.CartCheckedOut:
    return contracts.CartCheckedOut(
        cart_id=cart.id,
        order_id=checkout.order_id,
        customer=checkout.customer,
        billing_address=checkout.billing_address,
        shipping_address=checkout.shipping_address,
        items=order_lines(cart, priced),
        totals=checkout.totals,
        promotion_codes=checkout.promotion_codes,
        order_number=command.order_number,
        external_ref=command.external_ref,
        checked_out_at=checkout.at,
    )


async def check_out(
    uow: UnitOfWork, command: CheckOut, order_ids: OrderIds, personal: PersonalData | None = None
) -> CheckedOut:
    """Raises CartAlreadyCheckedOut (409, naming the order) for an unchanged, checked-out cart.

    The customer and addresses are stored and published sealed under the order's key (`personal`,
    shared/privacy); the order returned holds them in clear for the answer, and sealed as published."""
    cart = await uow.load(Cart, command.cart_id)
    if cart.last_checkout is not None and not cart.changed_since_checkout:
        raise CartAlreadyCheckedOut(cart.last_checkout.order_id)
    personal = personal or PersonalData(None)
    customer = await _customer(uow, command, cart, personal)
    priced = await price(uow, cart)
    now = utc_now()
    await _check_stock(uow, cart)
    sealed_customer, billing, shipping = await seal_parties(
        personal,
        order_ids.for_checkout(cart.id, cart.current_version),
        customer,
        command.billing_address,
        command.shipping_address,
    )
    order_id = cart.check_out(
        order_ids=order_ids,
        customer=sealed_customer,
        billing_address=billing,
        shipping_address=shipping,
        totals=priced.totals(),
        promotion_codes=sorted(priced.applied),
        now=now,
    )
    for code in priced.applied:
        if code not in cart.promotion_codes:
            continue  # an automatic promotion, priced again above: it has no code to use up
        promotion = await uow.load(Promotion, cart.promotion_codes[code])
        promotion.use_code(code, order_id, now, customer.id)
    checkout = cart.peek_pending()[-1]
    assert isinstance(checkout, CartWasCheckedOut)
    order = snapshot(cart, priced, checkout, command)
    uow.publish(order, key=order_id, aggregate_id=cart.id, aggregate_version=cart.current_version)
    clear = {"customer": customer, "billing_address": command.billing_address}
    return CheckedOut(
        clear=order.model_copy(update={**clear, "shipping_address": command.shipping_address}), sealed=order
    )
