"""Elastic Path's order and order-item documents, built from the checkout snapshot.

The cart service answers checkout with the order exactly as the order service will then serve
it, so both build it here from the same `CartCheckedOut` facts plus the order's statuses.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

from shared.contracts.events import CartCheckedOut
from shared.contracts.values import OrderLine
from shared.domain.order_state import OrderState
from shared.money import formatted


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


@lru_cache(maxsize=8192)
def order_item_id(order_id: str, cart_item_id: str) -> str:
    """Order items get stable ids derived from the order and the cart line they came from. Cached:
    an order's document and its item rows each derive them (two uuid5 per item per fold)."""
    try:
        namespace = UUID(order_id)
    except ValueError:
        namespace = uuid5(UUID(int=0), order_id)
    return str(uuid5(namespace, cart_item_id))


def _split(amount: int, quantity: int) -> dict[str, Any]:
    return {"unit": amount // quantity if quantity else 0, "value": amount}


def order_item_document(order_id: str, line: OrderLine, created_at: datetime) -> dict[str, Any]:
    c = line.value.currency
    q = line.quantity
    without_discount = line.value.amount
    without_tax = without_discount + line.discount
    with_tax = without_tax + line.tax

    def pair(amount: int) -> dict[str, Any]:
        parts = _split(amount, q)
        return {"unit": formatted(parts["unit"], c), "value": formatted(parts["value"], c)}

    document: dict[str, Any] = {
        "type": "order_item",
        "id": order_item_id(order_id, line.id),
        "quantity": q,
        "name": line.name,
        "sku": line.sku,
        "unit_price": {"amount": line.unit_price.amount, "currency": c, "includes_tax": False},
        "value": {"amount": line.value.amount, "currency": c, "includes_tax": False},
        "discounts": [],
        "links": {},
        "meta": {
            "display_price": {
                "with_tax": pair(with_tax),
                "without_tax": pair(without_tax),
                "tax": pair(line.tax),
                "discount": pair(line.discount),
                "without_discount": pair(without_discount),
            },
            "timestamps": {"created_at": iso(created_at), "updated_at": iso(created_at)},
        },
        "relationships": {"cart_item": {"data": {"type": "cart_item", "id": line.id}}},
    }
    if line.product_id:
        document["product_id"] = line.product_id
    return document


def order_document(order: CartCheckedOut, state: OrderState | None = None) -> dict[str, Any]:
    """The order object of ep-api.md §8.1."""
    state = state or OrderState()
    t = order.totals
    c = t.currency
    balance = t.with_tax - state.authorized - state.paid
    document: dict[str, Any] = {
        "type": "order",
        "id": order.order_id,
        "status": state.status,
        "payment": state.payment,
        "shipping": state.shipping,
        "anonymized": False,
        "customer": {"name": order.customer.name, "email": order.customer.email},
        "shipping_address": order.shipping_address.model_dump(),
        "billing_address": order.billing_address.model_dump(exclude={"phone_number", "instructions"}),
        "links": {},
        "meta": {
            "display_price": {
                "with_tax": formatted(t.with_tax, c),
                "without_tax": formatted(t.without_tax, c),
                "tax": formatted(t.tax, c),
                "discount": formatted(t.discount, c),
                "balance_owing": formatted(balance, c),
                "paid": formatted(state.paid, c),
                "authorized": formatted(state.authorized, c),
                "without_discount": formatted(t.without_discount, c),
            },
            "timestamps": {
                "created_at": iso(order.checked_out_at),
                "updated_at": iso(state.updated_at or order.checked_out_at),
            },
        },
        "relationships": {
            "items": {
                "data": [{"type": "item", "id": order_item_id(order.order_id, i.id)} for i in order.items]
            },
        },
    }
    if state.tracking_reference is not None:
        document["meta"]["shipping"] = {
            "carrier": state.carrier,
            "tracking_reference": state.tracking_reference,
        }
    if order.customer.id:
        document["relationships"]["customer"] = {"data": {"type": "customer", "id": order.customer.id}}
    if order.order_number is not None:
        document["order_number"] = order.order_number
    if order.external_ref is not None:
        document["external_ref"] = order.external_ref
    return document


def order_items(order: CartCheckedOut) -> list[dict[str, Any]]:
    return [order_item_document(order.order_id, line, order.checked_out_at) for line in order.items]
