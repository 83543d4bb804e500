"""Reading request bodies as the Elastic Path SDK sends them, with EP errors for bad ones.

The SDK sends `Content-Type: application/json` on every call, including GETs, DELETEs and a
capture with no body at all, and wraps payloads as `{"data": ...}` (ep-api.md §1.3, §1.7).
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError

from shared.http.errors import ApiError, validation_errors

M = TypeVar("M", bound=BaseModel)
MAX_BODY_BYTES = 1_048_576


async def read_json_body(request: Request, *, required: bool = True) -> Any:
    """The parsed JSON body; None for an empty body unless `required`."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "Payload Too Large", f"The body must be at most {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        if required:
            raise ApiError(400, "Bad Request", "A JSON body with a data object is required", source="data")
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(400, "Bad Request", "Malformed JSON") from None


async def read_data(request: Request, *, required: bool = True) -> Any:
    """The body's `data` member (None when the body is empty and not required)."""
    body = await read_json_body(request, required=required)
    if body is None:
        return None
    if not isinstance(body, dict) or "data" not in body:
        if not required:
            return None
        raise ApiError(400, "required", "The body must be an object with a data member", source="data")
    return body["data"]


def validate(model: type[M], payload: Any, source_prefix: str = "data") -> M:
    """Validate `payload` with `model`, turning every problem into an EP error with its source."""
    if not isinstance(payload, dict):
        raise ApiError(400, "type", "data must be an object", source=source_prefix or None)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise validation_errors(list(exc.errors()), prefix=source_prefix) from None
