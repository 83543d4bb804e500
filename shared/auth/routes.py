"""`POST /oauth/access_token`: Elastic Path's implicit and client-credentials grants (ep-api.md §2).

Form-encoded as the SDK sends it; a JSON object with the same fields (optionally inside
`data`) is accepted too, for hand-written clients. Credentials are compared in constant time.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from shared.auth.dependencies import settings_of
from shared.auth.tokens import GRANT_TYPES, GrantType, issue_token
from shared.http.body import read_json_body
from shared.http.errors import BadRequest, Unauthorized
from shared.http.openapi import documented
from shared.http.responses import JsonResponse
from shared.settings import ServiceSettings

TOKEN_PATH = "/oauth/access_token"
# RFC 6749 §5.1: token responses must not be cached (access tokens here, customer tokens in the cart).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class TokenRequest(BaseModel):
    """What the endpoint reads (form-encoded, or the same fields as JSON); only documented here."""

    grant_type: GrantType
    client_id: str
    client_secret: str | None = None


class AccessToken(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    expires: int
    identifier: GrantType


async def _fields(request: Request) -> dict[str, str]:
    if "json" in request.headers.get("content-type", "").lower():
        body: Any = await read_json_body(request) or {}
        if isinstance(body, dict) and isinstance(body.get("data"), dict):
            body = body["data"]
        if not isinstance(body, dict):
            raise BadRequest("The body must be a JSON object", title="type")
        return {str(k): str(v) for k, v in body.items() if v is not None}
    try:
        form = await request.form()
    except Exception:  # a malformed multipart body; python-multipart has no common base error
        raise BadRequest("The body could not be parsed as a form") from None
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _grant(fields: dict[str, str], settings: ServiceSettings) -> GrantType:
    """Which grant, once the credentials check out: 400 for a malformed request, 401 for wrong ones."""
    grant = fields.get("grant_type", "")
    if not grant:
        raise BadRequest("grant_type is required", title="required", source="grant_type")
    if grant not in GRANT_TYPES:
        raise BadRequest("grant_type must be implicit or client_credentials", source="grant_type")
    client_id = fields.get("client_id", "")
    if not client_id:
        raise BadRequest("client_id is required", title="required", source="client_id")
    id_ok = _same(client_id, settings.client_id)
    if grant == "implicit":
        if not id_ok:
            raise Unauthorized("Invalid client_id", title="Unauthorized")
        return "implicit"
    secret = fields.get("client_secret", "")
    if not secret:
        raise BadRequest("client_secret is required", title="required", source="client_secret")
    secret_ok = _same(secret, settings.client_secret.get_secret_value())
    if not (id_ok and secret_ok):
        raise Unauthorized("Invalid client credentials", title="Unauthorized")
    return "client_credentials"


def token_router(settings: ServiceSettings | None = None) -> APIRouter:
    """The token endpoint, issuing with `settings`; without them, with the app's (`app.state`)."""
    router = APIRouter(tags=["authentication"])

    @router.post(
        TOKEN_PATH,
        **documented(
            body=TokenRequest,
            in_data_member=False,
            media_types=("application/x-www-form-urlencoded", "application/json"),
            auth="none",
            answers="A Bearer token: implicit for shoppers, client_credentials for admins",
            document=AccessToken,
            invalid="grant_type or client_id is missing or unknown, or client_secret is missing",
        ),
    )
    async def access_token(request: Request) -> JsonResponse:
        effective = settings or settings_of(request)
        fields = await _fields(request)
        grant = _grant(fields, effective)
        return JsonResponse(issue_token(grant, fields["client_id"], effective), headers=NO_STORE)

    return router


router = token_router()
"""The endpoint for apps built by `create_app`; the same as `token_router()`."""
