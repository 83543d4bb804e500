"""Elastic Path's order and order-item documents of an order view (`shared/ep` builds them; the cart's
checkout answer uses the same builder)."""

from __future__ import annotations

from typing import Any

from services.order.domain.view import OrderView
from shared.ep.orders import order_document, order_items


def view_document(view: OrderView) -> dict[str, Any]:
    document = order_document(view.snapshot, view.state)
    if view.anonymized:
        document["anonymized"] = True
    return document


def view_items(view: OrderView) -> list[dict[str, Any]]:
    return order_items(view.snapshot)
