"""Shared helpers of the cart routes: cart references, the currency header, answering with items."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

from services.cart.adapters.http.presenters import cart_document, items_response
from services.cart.application.carts import DEFAULT_CURRENCY
from services.cart.application.lookups import price
from services.cart.domain.cart import Cart
from shared.eventstore.port import UnitOfWork
from shared.http.errors import ApiError
from shared.service import base_url

_REFERENCE = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


def cart_reference(ref: str) -> str:
    if not _REFERENCE.match(ref):
        raise ApiError(
            400,
            "Bad Request",
            "A cart reference may only use letters, digits and . _ ~ -",
            source="reference",
        )
    return ref


def request_currency(request: Request) -> str:
    header = request.headers.get("x-moltin-currency", DEFAULT_CURRENCY).strip()
    if not _CURRENCY.match(header):
        raise ApiError(400, "Bad Request", "X-MOLTIN-CURRENCY must be a three-letter currency code")
    return header.upper()


async def items_answer(uow: UnitOfWork, cart: Cart, request: Request) -> dict[str, Any]:
    return items_response(cart, await price(uow, cart), base_url(request))


async def cart_answer(uow: UnitOfWork, cart: Cart, request: Request) -> dict[str, Any]:
    priced = await price(uow, cart)
    document: dict[str, Any] = {"data": cart_document(cart, priced, base_url(request))}
    includes = {part.strip().lower() for part in request.query_params.get("include", "").split(",")}
    if "items" in includes:
        document["included"] = {"items": items_response(cart, priced, base_url(request))["data"]}
    return document
