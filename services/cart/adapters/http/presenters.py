"""Elastic Path JSON documents for carts, cart items, products, promotions and customers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.cart.domain.cart import Cart, CartLine
from services.cart.domain.customer import Customer
from services.cart.domain.pricing import CartPrice, LinePrice
from services.cart.domain.product import Product
from services.cart.domain.promotion import Promotion, PromotionCode
from shared.money import formatted


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _unit_and_value(unit: int, value: int, currency: str) -> dict[str, Any]:
    return {"unit": formatted(unit, currency), "value": formatted(value, currency)}


def _per_unit(amount: int, quantity: int) -> int:
    return amount // quantity if quantity else 0


def item_document(line: CartLine, price: LinePrice | None, base_url: str) -> dict[str, Any]:
    currency = line.currency
    q = line.quantity
    p = price or LinePrice(line.id, line.unit_amount, line.unit_amount * q, 0, 0)
    discounts = [
        {"amount": {"amount": amount, "currency": currency, "includes_tax": False}, "code": code, "id": code}
        for code, amount in p.discounts.items()
    ]
    document: dict[str, Any] = {
        "id": line.id,
        "type": line.type,
        "name": line.name,
        "description": line.description,
        "sku": line.sku,
        "slug": line.slug,
        "image": {"mime_type": "", "file_name": "", "href": ""},
        "quantity": q,
        "manage_stock": line.manage_stock,
        "unit_price": {"amount": line.unit_amount, "currency": currency, "includes_tax": line.includes_tax},
        "value": {"amount": line.unit_amount * q, "currency": currency, "includes_tax": line.includes_tax},
        "discounts": discounts,
        "links": {"product": f"{base_url}/v2/products/{line.product_id}"} if line.product_id else {},
        "meta": {
            "display_price": {
                "with_tax": _unit_and_value(_per_unit(p.with_tax, q), p.with_tax, currency),
                "without_tax": _unit_and_value(_per_unit(p.without_tax, q), p.without_tax, currency),
                "tax": _unit_and_value(_per_unit(p.tax, q), p.tax, currency),
                "discount": _unit_and_value(_per_unit(p.discount, q), p.discount, currency),
                "without_discount": _unit_and_value(
                    _per_unit(p.value_without_discount, q), p.value_without_discount, currency
                ),
            },
            "timestamps": {"created_at": iso(line.created_at), "updated_at": iso(line.updated_at)},
        },
        "relationships": {
            "taxes": {"data": [{"type": "tax_item", "id": t.id} for t in line.taxes]},
        },
        "catalog_source": "legacy",
    }
    if line.product_id:
        document["product_id"] = line.product_id
    if line.custom_inputs:
        document["custom_inputs"] = line.custom_inputs
    return document


def cart_display_price(price: CartPrice) -> dict[str, Any]:
    totals = price.totals()
    c = price.currency
    if not c:
        empty = {"amount": 0, "currency": "", "formatted": "0"}
        return {k: dict(empty) for k in ("with_tax", "without_tax", "tax", "discount", "without_discount")}
    return {
        "with_tax": formatted(totals.with_tax, c),
        "without_tax": formatted(totals.without_tax, c),
        "tax": formatted(totals.tax, c),
        "discount": formatted(totals.discount, c),
        "without_discount": formatted(totals.without_discount, c),
    }


def _timestamps(cart: Cart) -> dict[str, Any]:
    return {"created_at": iso(cart.created_at), "updated_at": iso(cart.updated_at)}


def applied_promotions(cart: Cart, price: CartPrice) -> list[tuple[str, str, str]]:
    """(promotion id, code, name) of the cart's promotion items: the automatic promotions that apply
    to it, then the codes applied to it (listed even while they give nothing)."""
    automatic = [(terms.promotion_id, terms.code, terms.name) for terms in price.automatic]
    return automatic + [(promotion_id, code, code) for code, promotion_id in cart.promotion_codes.items()]


def promotion_lines(cart: Cart, price: CartPrice) -> list[dict[str, Any]]:
    """Promotions as `promotion_item` lines (their value is spread into the items' discounts)."""
    c = price.currency
    return [
        {
            "id": promotion_id,
            "type": "promotion_item",
            "promotion_id": promotion_id,
            "name": name,
            "description": "Promotion",
            "sku": code,
            "quantity": 1,
            "unit_price": {"amount": price.applied.get(code, 0), "currency": c, "includes_tax": False},
            "value": {"amount": price.applied.get(code, 0), "currency": c, "includes_tax": False},
            "links": {},
            "meta": {"display_price": {}, "timestamps": _timestamps(cart)},
        }
        for promotion_id, code, name in applied_promotions(cart, price)
    ]


def items_response(cart: Cart, price: CartPrice, base_url: str) -> dict[str, Any]:
    """Elastic Path's CartItemsResponse: every add, update and remove answers with it."""
    data = [item_document(line, price.lines.get(line.id), base_url) for line in cart.lines.values()]
    data += promotion_lines(cart, price)
    display = cart_display_price(price)
    if price.applied:
        display["discounts"] = {
            code: formatted(amount, price.currency) for code, amount in price.applied.items()
        }
    return {"data": data, "meta": {"display_price": display, "timestamps": _timestamps(cart)}}


def cart_document(cart: Cart, price: CartPrice, base_url: str) -> dict[str, Any]:
    promotion_ids = [promotion_id for promotion_id, _, _ in applied_promotions(cart, price)]
    return {
        "id": cart.id,
        "type": "cart",
        "name": cart.name,
        "description": cart.description,
        "discount_settings": {"custom_discounts_enabled": False, "use_rule_promotions": False},
        "links": {"self": f"{base_url}/v2/carts/{cart.id}"},
        "meta": {"display_price": cart_display_price(price), "timestamps": _timestamps(cart)},
        "relationships": {
            "items": {
                "data": [{"type": line.type, "id": line.id} for line in cart.lines.values()]
                + [{"type": "promotion_item", "id": pid} for pid in promotion_ids]
            },
            "customers": {"data": {"type": "customer", "id": cart.customer_id}} if cart.customer_id else {},
            "accounts": {},
            "promotions": {"data": [{"type": "promotion", "id": pid} for pid in promotion_ids]},
        },
    }


def product_document(product: Product, base_url: str) -> dict[str, Any]:
    d = product.definition
    assert d is not None
    return {
        "id": product.id,
        "type": "product",
        "name": d.name,
        "slug": d.slug,
        "sku": d.sku,
        "description": d.description,
        "manage_stock": d.manage_stock,
        "status": d.status,
        "commodity_type": d.commodity_type,
        "price": [p.model_dump() for p in d.price],
        "links": {"self": f"{base_url}/v2/products/{product.id}"},
        "meta": {
            "display_price": {
                "without_tax": formatted(d.price[0].amount, d.price[0].currency) if d.price else None,
            },
            "timestamps": {"created_at": iso(product.created_at), "updated_at": iso(d.at)},
        },
    }


def promotion_document(promotion: Promotion) -> dict[str, Any]:
    d = promotion.definition
    assert d is not None
    return {
        "type": "promotion",
        "id": promotion.id,
        "name": d.name,
        "description": d.description,
        "enabled": d.enabled,
        "automatic": d.automatic,
        "promotion_type": d.promotion_type,
        "schema": d.promotion_schema,
        "start": iso(d.start),
        "end": iso(d.end),
        "min_cart_value": d.min_cart_value,
        "max_discount_value": d.max_discount_value,
        "meta": {
            "timestamps": {"created_at": iso(promotion.created_at), "updated_at": iso(promotion.updated_at)}
        },
    }


def code_document(code: PromotionCode) -> dict[str, Any]:
    document: dict[str, Any] = {"id": code.id, "code": code.code, "uses": code.used}
    if code.uses is not None:
        document["max_uses"] = code.uses
    if code.user is not None:
        document["user"] = code.user
    return document


def customer_document(customer: Customer, open_: Callable[[str], str]) -> dict[str, Any]:
    """`open_` opens the sealed name and email (`customer_privacy`)."""
    return {
        "type": "customer",
        "id": customer.id,
        "name": open_(customer.name),
        "email": open_(customer.email),
        "external_ref": customer.external_ref,
        "password": customer.password_hash is not None,
        "meta": {
            "timestamps": {"created_at": iso(customer.created_at), "updated_at": iso(customer.updated_at)}
        },
    }
