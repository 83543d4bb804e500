"""Customer carts: associating a cart with a customer and freeing it, merging a cart into another,
and the access rule every cart command checks first (`accessible_cart`)."""

from __future__ import annotations

from services.cart.application.lookups import available_stock
from services.cart.application.ports import CUSTOMER_CARTS
from services.cart.domain.associations import CartAccess, CustomerCartForbidden
from services.cart.domain.cart import Cart, ProductSnapshot
from services.cart.domain.customer import Customer, CustomerNotFound
from services.cart.domain.product import Product
from shared.contracts.envelope import utc_now
from shared.domain.errors import DomainError
from shared.eventstore.port import UnitOfWork


async def accessible_cart(uow: UnitOfWork, cart_id: str, access: CartAccess) -> Cart:
    """The cart, when `access` may use it (a customer's cart: that customer or an admin); else 403.

    Commands load it again through the unit of work, which hands back this same tracked aggregate, so
    the check costs no read of its own."""
    cart = await uow.load(Cart, cart_id)
    access.check(cart.customer_id)
    return cart


async def _registered(uow: UnitOfWork, customer_id: str) -> Customer:
    customer = await uow.load(Customer, customer_id)
    if not customer.registered:
        raise CustomerNotFound(customer_id)
    return customer


def _check_acting_for(access: CartAccess, customer_id: str) -> None:
    """A storefront associates or frees only its own customer (their token); an admin, anyone."""
    if not access.is_admin and access.customer_id != customer_id:
        raise CustomerCartForbidden(source="data")


async def associate(uow: UnitOfWork, cart_id: str, customer_id: str, access: CartAccess) -> Cart:
    _check_acting_for(access, customer_id)
    cart = await accessible_cart(uow, cart_id, access)
    await _registered(uow, customer_id)
    cart.associate(customer_id, utc_now())
    return cart


async def dissociate(uow: UnitOfWork, cart_id: str, customer_id: str, access: CartAccess) -> Cart:
    _check_acting_for(access, customer_id)
    cart = await accessible_cart(uow, cart_id, access)
    cart.dissociate(customer_id, utc_now())
    return cart


LAST_CART = (
    "This is the last cart associated with a customer and it cannot be deleted, try disassociating instead"
)


MAX_CARTS_READ = 1000
"""The most carts of one customer read for their list (sorted by latest change, then paged)."""


async def carts_of(uow: UnitOfWork, customer_id: str) -> list[Cart]:
    """The customer's carts: ids from the projection, each confirmed from its own stream (the
    projection may still list a cart freed a moment ago)."""
    cart_ids = await uow.adapter(CUSTOMER_CARTS).cart_ids(customer_id, MAX_CARTS_READ)
    carts = [await uow.load(Cart, cart_id) for cart_id in cart_ids]
    return [cart for cart in carts if cart.customer_id == customer_id]


async def delete(uow: UnitOfWork, cart_id: str, access: CartAccess) -> None:
    """Elastic Path refuses to delete a customer's last cart (400 "Last cart"): free it instead."""
    cart = await accessible_cart(uow, cart_id, access)
    if cart.customer_id is not None and all(c.id == cart_id for c in await carts_of(uow, cart.customer_id)):
        raise DomainError(LAST_CART, status=400, title="Last cart")
    cart.delete(utc_now())


async def merge(
    uow: UnitOfWork, cart_id: str, from_cart_id: str, access: CartAccess, *, all_or_nothing: bool
) -> tuple[Cart, list[DomainError]]:
    """`from_cart_id`'s lines into `cart_id` (both must be the caller's to use); the lines refused."""
    cart = await accessible_cart(uow, cart_id, access)
    source = await accessible_cart(uow, from_cart_id, access)
    products: dict[str, ProductSnapshot | None] = {}
    available: dict[str, int | None] = {}
    for line in source.lines.values():
        if line.type != "cart_item" or line.product_id is None or line.product_id in products:
            continue
        product = await uow.load(Product, line.product_id)
        snapshot = product.snapshot() if product.live else None
        products[line.product_id] = snapshot
        available[line.product_id] = None if snapshot is None else await available_stock(uow, snapshot)
    failures = cart.merge(source, products, available, all_or_nothing=all_or_nothing, now=utc_now())
    return cart, failures
