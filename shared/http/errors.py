"""Elastic Path's error documents and the exception handlers that always answer with them.

`{"errors": [{"status": 400, "title": "...", "detail": "...", "source": "...", "meta": {...}}]}`:
`status` is an integer, `title` always present, the rest only when known. Every failure of
every route, including unknown routes, malformed JSON and unexpected exceptions, takes this shape.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import uuid4

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.domain.errors import DomainError
from shared.eventstore.errors import ConcurrencyError
from shared.http.responses import JsonResponse

log = logging.getLogger(__name__)


def error_object(
    status: int,
    title: str,
    detail: str | None = None,
    source: str | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {"status": status, "title": title}
    if detail is not None:
        error["detail"] = detail
    if source is not None:
        error["source"] = source
    if meta:
        error["meta"] = meta
    return error


class ApiError(Exception):
    """An HTTP error answered in Elastic Path's shape; may carry several error objects."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        source: str | None = None,
        meta: dict[str, Any] | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.errors = errors or [error_object(status, title, detail, source, meta)]
        self.headers = headers

    def response(self) -> JsonResponse:
        return JsonResponse({"errors": self.errors}, status_code=self.status, headers=self.headers)


def bad_request(detail: str, *, title: str = "Bad Request", source: str | None = None) -> ApiError:
    return ApiError(400, title, detail, source=source)


def not_found(detail: str = "The resource could not be found") -> ApiError:
    return ApiError(404, "Not Found", detail)


def unauthorized(detail: str | None = None) -> ApiError:
    return ApiError(401, "Unable to validate access token", detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str | None = None) -> ApiError:
    return ApiError(403, "Forbidden", detail)


def _validation_title(kind: str) -> str:
    if kind == "missing":
        return "required"
    if kind.endswith("_type") or kind in {"model_type", "dict_type", "list_type", "is_instance_of"}:
        return "type"
    if kind in {"literal_error", "enum"}:
        return "enum"
    if kind.startswith(("greater", "less", "too_")):
        return "range"
    return "format"


def validation_errors(errors: list[Any], prefix: str = "data") -> ApiError:
    """pydantic errors -> one EP error per problem, each with the dotted path as `source`."""
    objects = []
    for err in errors:
        location = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
        source = ".".join([prefix, *location]) if prefix else ".".join(location)
        objects.append(
            error_object(400, _validation_title(str(err.get("type", ""))), str(err.get("msg")), source)
        )
    return ApiError(400, "Bad Request", errors=objects or [error_object(400, "Bad Request")])


async def _api_error(_: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _domain_error(_: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, DomainError)
    return ApiError(exc.status, exc.title, exc.detail, source=exc.source, meta=exc.meta).response()


async def _conflict(_: Request, exc: Exception) -> JsonResponse:
    return ApiError(409, "Conflict", "Write conflict detected").response()


async def _request_validation(_: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_errors(list(exc.errors()), prefix="").response()


async def _http_error(_: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, StarletteHTTPException)
    titles = {
        404: "Not Found",
        405: "Method Not Allowed",
        413: "Payload Too Large",
        415: "Unsupported Media Type",
    }
    title = titles.get(exc.status_code, str(exc.detail))
    detail = "The requested resource could not be found" if exc.status_code == 404 else str(exc.detail)
    return ApiError(exc.status_code, title, detail, headers=getattr(exc, "headers", None)).response()


async def _unexpected(request: Request, exc: Exception) -> JsonResponse:
    request_id = request.headers.get("x-request-id") or str(uuid4())
    log.exception("unhandled error on %s %s (request %s)", request.method, request.url.path, request_id)
    body = {
        "errors": [
            {
                "status": 500,
                "title": "Internal Server Error",
                "detail": "There was a problem processing your request",
                "request_id": request_id,
            }
        ]
    }
    return JsonResponse(body, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(ConcurrencyError, _conflict)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
