"""Cart commands: items, custom items, quantities, promotion codes, tax items."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.cart.application.lookups import (
    automatic_promotions,
    available_stock,
    product_by_id_or_sku,
    promotion_for_code,
)
from services.cart.domain.cart import Cart
from services.cart.domain.errors import CartRuleBroken
from services.cart.domain.events import TaxLine
from services.cart.domain.product import Product
from shared.contracts.envelope import utc_now
from shared.eventstore.port import UnitOfWork

DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class AddProduct:
    cart_id: str
    quantity: int
    product_id: str | None = None
    sku: str | None = None
    currency: str = DEFAULT_CURRENCY
    custom_inputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AddCustomItem:
    cart_id: str
    name: str
    sku: str
    description: str
    quantity: int
    amount: int
    includes_tax: bool
    currency: str = DEFAULT_CURRENCY


@dataclass(frozen=True)
class ApplyPromotion:
    cart_id: str
    code: str
    customer_id: str | None = None


async def create_cart(uow: UnitOfWork, cart_id: str, name: str, description: str) -> Cart:
    cart = await uow.load(Cart, cart_id)
    if cart.created_at is None:
        cart.ensure_created(utc_now(), name, description)
    else:
        cart.rename(name or cart.name, description, utc_now())
    return cart


async def add_product(uow: UnitOfWork, command: AddProduct) -> Cart:
    cart = await uow.load(Cart, command.cart_id)
    product = await product_by_id_or_sku(uow, product_id=command.product_id, sku=command.sku)
    cart.add_product(
        product,
        command.quantity,
        currency=command.currency,
        available=await available_stock(uow, product),
        now=utc_now(),
        custom_inputs=command.custom_inputs,
    )
    return cart


async def add_custom_item(uow: UnitOfWork, command: AddCustomItem) -> Cart:
    cart = await uow.load(Cart, command.cart_id)
    cart.add_custom_item(
        name=command.name,
        sku=command.sku,
        description=command.description,
        quantity=command.quantity,
        amount=command.amount,
        includes_tax=command.includes_tax,
        currency=command.currency,
        now=utc_now(),
    )
    return cart


async def apply_promotion(uow: UnitOfWork, command: ApplyPromotion) -> Cart:
    cart = await uow.load(Cart, command.cart_id)
    promotion = await promotion_for_code(uow, command.code)
    now = utc_now()
    promotion.check_applicable(command.code, now, command.customer_id)
    canonical = promotion.codes[command.code.lower()].code
    cart.apply_promotion(canonical, promotion.id, now)
    return cart


async def remove_promotion(uow: UnitOfWork, cart_id: str, code: str) -> Cart:
    """Remove a code the shopper applied; an automatic promotion cannot be removed (as in Elastic Path)."""
    cart = await uow.load(Cart, cart_id)
    applied = next((c for c in cart.promotion_codes if c.lower() == code.lower()), code)
    if applied not in cart.promotion_codes and any(p.id == code for p in await automatic_promotions(uow)):
        raise CartRuleBroken(
            "Automatic promotion",
            "An automatic promotion applies to every eligible cart and cannot be removed from one",
            meta={"code": code},
        )
    cart.remove_promotion(applied, utc_now())
    return cart


async def change_quantity(uow: UnitOfWork, cart_id: str, item_id: str, quantity: int) -> Cart:
    cart = await uow.load(Cart, cart_id)
    line = cart.lines.get(item_id)
    available = None
    if line is not None and line.product_id and line.manage_stock:
        product = await uow.load(Product, line.product_id)
        if product.live:
            available = await available_stock(uow, product.snapshot())
    cart.change_quantity(item_id, quantity, available=available, now=utc_now())
    return cart


async def remove_item(uow: UnitOfWork, cart_id: str, item_id: str) -> Cart:
    cart = await uow.load(Cart, cart_id)
    cart.remove_item(item_id, utc_now())
    return cart


async def clear_items(uow: UnitOfWork, cart_id: str) -> Cart:
    cart = await uow.load(Cart, cart_id)
    cart.clear(utc_now())
    return cart


async def add_tax(uow: UnitOfWork, cart_id: str, item_id: str, tax: TaxLine) -> Cart:
    cart = await uow.load(Cart, cart_id)
    cart.add_tax(item_id, tax, utc_now())
    return cart


async def remove_tax(uow: UnitOfWork, cart_id: str, item_id: str, tax_id: str) -> Cart:
    cart = await uow.load(Cart, cart_id)
    cart.remove_tax(item_id, tax_id, utc_now())
    return cart
