"""Reading request bodies as the Elastic Path SDK sends them, with EP errors for bad ones.

The SDK sends `Content-Type: application/json` on every call, including GETs, DELETEs and a
transaction capture with no body at all, and wraps payloads as `{"data": ...}` (optionally with
`"options"` beside it; ep-api.md §1.3, §1.7). So an empty body means "no body", not an error,
and the content type is not trusted either way. Services own their models; `validate` only turns
pydantic's complaints into EP errors that point at the field.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError

from shared.http.errors import ApiError, BadRequest
from shared.http.validation import validation_error

M = TypeVar("M", bound=BaseModel)
MAX_BODY_BYTES = 1_048_576
# Deeper than any EP document (custom_inputs is the freest, a few levels): deep nesting only costs.
# orjson refuses to write past 254 levels, and a recursive walk overflows Python's stack.
MAX_DEPTH = 32


def _too_large() -> ApiError:
    return ApiError(413, "Payload Too Large", f"The body must be at most {MAX_BODY_BYTES} bytes")


async def read_json_body(request: Request, *, required: bool = False) -> Any:
    """The parsed JSON body; None when the body is empty (a 400 instead when `required`)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    if not raw.strip():
        if required:
            raise BadRequest("A JSON body with a data member is required", title="required", source="data")
        return None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest("Malformed JSON") from None
    if _deeper_than(body, MAX_DEPTH):
        raise BadRequest(f"JSON may nest at most {MAX_DEPTH} levels of objects and arrays", title="depth")
    if b"\\u0000" in raw and _holds_nul(body):
        raise BadRequest("Text may not contain the NUL character (\\u0000)", title="format")
    return body


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest more than `limit` levels (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth >= limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def _holds_nul(value: Any) -> bool:
    """PostgreSQL text and jsonb cannot store U+0000: refuse it here rather than fail on write."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


async def read_data(request: Request, *, required: bool = True) -> Any:
    """The body's `data` member; a 400 `required` at source `data` when it is missing or null.

    With `required=False`, an empty body, `{}` or `{"data": null}` gives None instead
    (`Transactions.Capture` sends nothing; `Transactions.Refund` may send `{"data": {}}`).
    """
    body = await read_json_body(request)
    if body is not None and not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object with a data member", title="type")
    data = body.get("data") if body is not None else None
    if data is None and required:
        raise BadRequest("The body must be an object with a data member", title="required", source="data")
    return data


def validate(model_cls: type[M], payload: Any, source_prefix: str = "data") -> M:
    """`payload` (a dict from the body) as `model_cls`, or a 400 with one error per problem.

    Each error's `source` is `<source_prefix>.<field path>`, e.g. `data.items.0.quantity`.
    """
    if not isinstance(payload, dict):
        raise BadRequest(
            f"{source_prefix or 'The body'} must be an object", title="type", source=source_prefix or None
        )
    try:
        return model_cls.model_validate(payload)
    except ValidationError as exc:
        raise validation_error(exc.errors(include_url=False), prefix=source_prefix) from None
