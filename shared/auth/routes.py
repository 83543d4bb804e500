"""`POST /oauth/access_token`: Elastic Path's implicit and client-credentials grants."""

from __future__ import annotations

import hmac
from typing import Any

import orjson
from fastapi import APIRouter, Request

from shared.auth.dependencies import settings_of
from shared.auth.tokens import issue_token
from shared.http.errors import ApiError
from shared.http.responses import JsonResponse

router = APIRouter()


async def _form(request: Request) -> dict[str, str]:
    """Form-encoded as the SDK sends it; JSON accepted too, for hand-written clients."""
    raw = await request.body()
    if "application/json" in request.headers.get("content-type", ""):
        try:
            body = orjson.loads(raw or b"{}")
        except orjson.JSONDecodeError:
            raise ApiError(400, "Bad Request", "Malformed JSON") from None
        if isinstance(body, dict) and isinstance(body.get("data"), dict):
            body = body["data"]
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request", "The body must be an object")
        return {str(k): str(v) for k, v in body.items() if v is not None}
    form = await request.form()
    return {key: str(value) for key, value in form.items()}


@router.post("/oauth/access_token", tags=["authentication"])
async def access_token(request: Request) -> JsonResponse:
    settings = settings_of(request)
    form = await _form(request)
    grant = form.get("grant_type")
    client_id = form.get("client_id", "")
    if grant not in ("implicit", "client_credentials"):
        raise ApiError(
            400, "Bad Request", "grant_type must be implicit or client_credentials", source="grant_type"
        )
    if not client_id:
        raise ApiError(400, "required", "client_id is required", source="client_id")
    if not hmac.compare_digest(client_id.encode(), settings.client_id.encode()):
        raise ApiError(401, "Unauthorized", "Invalid client_id")
    if grant == "client_credentials":
        secret = form.get("client_secret", "")
        if not secret:
            raise ApiError(400, "required", "client_secret is required", source="client_secret")
        if not hmac.compare_digest(secret.encode(), settings.client_secret.get_secret_value().encode()):
            raise ApiError(401, "Unauthorized", "Invalid client credentials")
    answer: dict[str, Any] = issue_token(grant, client_id, settings)  # type: ignore[arg-type]
    return JsonResponse(answer)
