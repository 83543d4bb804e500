"""`/v2/gateways`: the payment gateways as Elastic Path configures them (admins only).

`manual` and `stripe_payment_intents`, each enabled or not, Stripe with its secret key (`login`),
which an admin writes and the service uses but no answer ever carries. The environment seeds the
configuration once; from then on it is what admins set here, kept as events in this service.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.payment.adapters.http.context import payments_of
from services.payment.adapters.http.requests import GatewayBody
from services.payment.application.gateway_config import list_gateways, read_gateway, update_gateway
from services.payment.domain.gateway_settings import MANUAL, GatewaySettings
from shared.auth import AdminToken
from shared.http.body import read_data, validate
from shared.http.errors import BadRequest
from shared.http.openapi import documented

router = APIRouter(tags=["gateways"])
NO_GATEWAY = "No such gateway (this service implements manual and stripe_payment_intents)"


def gateway_document(settings: GatewaySettings) -> dict[str, Any]:
    """Elastic Path's `Response.Gateway`, without the key: it is written, never read back."""
    return {"type": "gateway", "name": settings.name, "slug": settings.slug, "enabled": settings.enabled}


@router.get("/v2/gateways", **documented(auth="admin", answers="Every gateway"))
async def get_gateways(request: Request, _: AdminToken) -> dict[str, Any]:
    return {"data": [gateway_document(g) for g in await list_gateways(payments_of(request).database)]}


@router.get("/v2/gateways/{slug}", **documented(auth="admin", answers="The gateway", not_found=NO_GATEWAY))
async def get_gateway(slug: str, request: Request, _: AdminToken) -> dict[str, Any]:
    return {"data": gateway_document(await read_gateway(payments_of(request).database, slug))}


@router.put(
    "/v2/gateways/{slug}",
    **documented(
        body=GatewayBody,
        auth="admin",
        answers="The gateway as it is now (never its key)",
        invalid="The body is invalid, or enabling Stripe with no `login` given or kept",
        not_found=NO_GATEWAY,
    ),
)
async def put_gateway(slug: str, request: Request, _: AdminToken) -> dict[str, Any]:
    body = validate(GatewayBody, await read_data(request))
    if slug == MANUAL and body.login is not None:
        raise BadRequest("The manual gateway has no login", title="Bad Request", source="data.login")
    payments = payments_of(request)
    settings = await update_gateway(payments.database, slug, body.enabled, body.login)
    payments.gateway(slug).use_login(settings.login)
    return {"data": gateway_document(settings)}
